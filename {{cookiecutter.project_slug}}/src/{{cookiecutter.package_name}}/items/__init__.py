"""Example resource: items with CRUD and pagination."""
