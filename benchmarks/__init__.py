"""Public facility-location benchmark instances, read into hubopt Scenarios."""
