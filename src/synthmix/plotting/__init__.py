"""Figures: a public canvas and domain plots that take library result types."""
