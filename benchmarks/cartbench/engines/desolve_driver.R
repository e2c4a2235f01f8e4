# deSolve side of the cartsim benchmark, run by cartbench/engines/desolve_engine.py as
#   Rscript desolve_driver.R MODEL.R PARAMS.csv OUT_DIR N_ACCURACY N_TIMING REPEATS RTOL ATOL T_END N_TIMES
# MODEL.R defines `initial` (named state vector) and `rhs(t, y, parms)`. PARAMS.csv has one
# column per parameter and one row per patient. Writes OUT_DIR/trajectories.csv (the first
# N_ACCURACY patients; rows patient-major then time, one column per state) and prints one
# JSON line with the best elapsed time of looping lsoda over the first N_TIMING patients.
args <- commandArgs(trailingOnly = TRUE)
source(args[1])
params <- as.matrix(read.csv(args[2]))
out_dir <- args[3]
n_accuracy <- as.integer(args[4])
n_timing <- as.integer(args[5])
repeats <- as.integer(args[6])
rtol <- as.numeric(args[7])
atol <- as.numeric(args[8])
times <- seq(0, as.numeric(args[9]), length.out = as.integer(args[10]))
suppressPackageStartupMessages(library(deSolve))

solve_patient <- function(i) {
  lsoda(y = initial, times = times, func = rhs, parms = params[i, ], rtol = rtol, atol = atol)
}

accuracy <- do.call(rbind, lapply(seq_len(n_accuracy), function(i) solve_patient(i)[, names(initial), drop = FALSE]))
write.csv(accuracy, file.path(out_dir, "trajectories.csv"), row.names = FALSE)

# Peak resident memory of this R process (Linux: VmHWM in /proc/self/status, in kB).
peak_rss_mb <- function() {
  status <- tryCatch(readLines("/proc/self/status"), error = function(e) character(0))
  line <- grep("^VmHWM:", status, value = TRUE)
  if (length(line) == 0) return(NA_real_)
  as.numeric(strsplit(trimws(sub("VmHWM:", "", line)), " +")[[1]][1]) / 1024
}

elapsed <- numeric(repeats)
cpu <- numeric(repeats)
for (r in seq_len(repeats)) {
  used <- system.time(for (i in seq_len(n_timing)) solve_patient(i))
  elapsed[r] <- used[["elapsed"]]
  cpu[r] <- used[["user.self"]] + used[["sys.self"]]
}
cat(sprintf(
  '{"best_seconds": %.6f, "best_cpu_seconds": %.6f, "all_seconds": [%s], "patients": %d, "peak_rss_mb": %s, "r_version": "%s", "desolve_version": "%s"}\n',
  min(elapsed), min(cpu), paste(sprintf("%.6f", elapsed), collapse = ", "), n_timing,
  ifelse(is.na(peak_rss_mb()), "null", sprintf("%.1f", peak_rss_mb())),
  paste(R.version$major, R.version$minor, sep = "."), as.character(packageVersion("deSolve"))
))
