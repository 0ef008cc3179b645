{#- The moment this dbt invocation started (UTC), as a timestamp. An incremental model writes
    it as `recomputed_at` on every row it (re)computes. A model that reads such a table and
    stamps its own rows finds the rows recomputed since its own last run as those stamped
    after the newest stamp it holds: every model of one invocation shares the stamp, and a
    reader runs after what it reads. (A run that recomputed nothing leaves the newest stamp
    older: the next run re-reads a little more, never less.) Two builds of the same data
    differ only in these columns (tests/fixtures/run_stamps.py). -#}
{% macro run_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
