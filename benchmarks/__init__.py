"""Benchmarks of policyengine (not part of the test suite); see README.md."""
