"""One module per engine; each measures speed and returns trajectories for the accuracy check."""
