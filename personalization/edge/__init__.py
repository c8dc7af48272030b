"""The origin's side of the edge tier: edge keys, edge and client snapshots, the revision push."""
