# Sourced by .ci/run before the tests: Java 17 for the Spark engine (policyengine batch --engine
# spark; tests/test_batch_spark.py), from the Debian package openjdk-17-jre-headless, installed
# only when no java is on the PATH.  JAVA_HOME is set from it when unset (pyspark finds java
# through either).  With CI set those tests fail rather than skip when Java is absent.
# shellcheck shell=bash
if ! command -v java >/dev/null 2>&1; then
  echo "--- installing openjdk-17-jre-headless (the Spark engine's tests)"
  if [ "$(id -u)" -eq 0 ]; then _pe_sudo=""; else _pe_sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $_pe_sudo apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive $_pe_sudo apt-get install -y -q openjdk-17-jre-headless >/dev/null \
    || echo "warning: could not install openjdk-17-jre-headless; the Spark tests will fail under CI" >&2
  unset _pe_sudo
fi
if [ -z "${JAVA_HOME:-}" ] && command -v java >/dev/null 2>&1; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  export JAVA_HOME
fi
