// Package cputime measures the CPU time of this process, for the benchmarks that report it
// beside wall time (a shared machine's wall time says little on its own).
package cputime
