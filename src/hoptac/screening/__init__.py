"""Wanted-person screening: notices against registers (foreign residents, arrivals, hotel
stays), with names matched across scripts by `hoptac.names`. Pure functions; the engines
that run them over files and tables build on `score`."""
