"""Use cases in plain Python (no Qt). Each takes a Session owned by the caller and raises typed errors."""
