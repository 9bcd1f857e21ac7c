# Sourced by .ci/run before the tests: headless Chromium and its driver for the workbench's
# browser tests (tests/test_web_browser.py), from the Debian packages, installed only when
# missing, with a Chinese font so that the screenshots the tests write can be read.  With CI
# set those tests fail rather than skip when chromium or chromedriver is absent.
# shellcheck shell=bash
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
   || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "--- installing chromium, chromium-driver and a Chinese font (the workbench's browser tests)"
  if [ "$(id -u)" -eq 0 ]; then _pe_sudo=""; else _pe_sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $_pe_sudo apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive $_pe_sudo apt-get install -y -q chromium chromium-driver fonts-wqy-microhei \
    || echo "warning: could not install chromium and chromium-driver; the browser tests will fail under CI" >&2
  unset _pe_sudo
fi
