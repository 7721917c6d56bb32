"""Evaluation harness: data sets in the `../shared/data` layout, pure metrics, runners."""
