{#- dbt's hook for a data test's `where` config (the override point dbt documents for custom
    filters): the relation a generic test reads, filtered when the test sets `where`.

    One placeholder is ours: `__recomputed_by_the_newest_run__` stands for "the rows the newest
    run (re)computed", i.e. `recomputed_at` equal to the newest stamp the table holds (macro
    run_stamp). A daily run then tests the ~1% of rows it rewrote instead of every row: the
    others were tested when they were written and nothing has changed them since (the
    incremental models delete and reinsert whole entities by the tested key, so a duplicate
    between a new and an old row cannot arise). A full build stamps every row alike, so it tests
    them all; `--vars '{test_every_row: true}'` does too on any run, for an audit. Run on its own
    (`dbt test`), the test checks what the last build wrote. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- if var('test_every_row', false) -%}
        {%- set newest_run = '1 = 1' -%}
    {%- else -%}
        {%- set newest_run -%}
            recomputed_at = (select max(recomputed_at) from {{ relation }})
        {%- endset -%}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ where | replace('__recomputed_by_the_newest_run__', newest_run) }}) dbt_subquery
    {%- endset -%}
    {%- do return(filtered) -%}
{%- endmacro %}
