"""Store: where accepted submissions live, one named graph per submission."""
