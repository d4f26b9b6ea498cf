"""The HTTP edge: problem responses, headers, limits, request observation, uploads and
downloads, health and metrics routes, and the FastAPI dependencies every router shares.

Nothing in a domain package imports from here (the import contract in pyproject.toml).
"""
