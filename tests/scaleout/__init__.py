"""Tests that start several server processes on shared PostgreSQL and Redis."""
