"""Partners and agreements: agencies, agreements, commitments, engagements, people, sources."""
