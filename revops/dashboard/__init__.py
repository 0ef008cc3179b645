"""The alignment dashboard: metric queries through MetricFlow (metrics.py), the charts
(charts.py) and the static site writer (site.py) behind `revops dashboard`."""
