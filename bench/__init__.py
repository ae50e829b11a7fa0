"""Formflow's benchmarks and the hand-written baseline app they compare against (see bench/README.md)."""
