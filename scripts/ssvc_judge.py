"""The outside judge of Rapport's default decision tree: prints CERT/CC's SSVC deployer
decision table, as the certcc-ssvc package defines it, one JSON object per row, with each
decision point and the outcome named in the package's own words."""

import json

from ssvc.decision_tables.ssvc.deployer_dt import DEPLOYER_1 as table

names = {}
for point in table.decision_points.values():
    name = "Outcome" if point.id == table.outcome else point.name
    names[point.id] = (name, {value.key: value.name for value in point.values})

print(json.dumps({"table": f"{table.namespace}:{table.key} {table.version}", "name": table.name}))
for row in table.mapping:
    print(json.dumps({names[point][0]: names[point][1][value] for point, value in row.items()}))
