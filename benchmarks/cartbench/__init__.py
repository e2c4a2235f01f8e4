"""The cartsim engine benchmark: cartsim against scipy, libroadrunner and R deSolve."""
