"""Monte-Carlo twin of :mod:`synthmix.theory`: draw data, fit ridge, score exactly."""

from synthmix.simulate.montecarlo import SimulationResult, simulate, simulate_estimated_generator

__all__ = ["SimulationResult", "simulate", "simulate_estimated_generator"]
