{#- dbt's hook for a data test's `where` config (the override point dbt documents for custom
    filters): the relation a generic test reads, filtered when the test sets `where`.

    Two placeholders are ours, so that a daily run tests what it wrote instead of every row:
    * `__recomputed_by_the_newest_run__` stands for "the rows the newest run (re)computed",
      i.e. `recomputed_at` equal to the newest stamp the table holds (macro run_stamp). A daily
      run then tests the ~1% of rows it rewrote: the others were tested when they were written
      and nothing has changed them since (the incremental models delete and reinsert whole
      entities by the tested key, so a duplicate between a new and an old row cannot arise).
      A full build stamps every row alike, so it tests them all.
    * `__loaded_by_the_newest_load__`, for raw tables: the rows of the newest ingestion run
      (`_loaded_at` equal to the newest; one run stamps all its rows alike), and for a `unique`
      test every row holding one of that load's keys - a duplicate there is the older version
      a loader appended to instead of merging, the very fault the test is for. The first load
      of a warehouse is one run, so it is tested whole.
    `--vars '{test_every_row: true}'` makes both `1 = 1`, on any run, for an audit. Run on its
    own (`dbt test`), a test checks what the last build or load wrote. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- set newest_run, newest_load = '1 = 1', '1 = 1' -%}
    {%- if not var('test_every_row', false) -%}
        {%- set newest_run = recomputed_by_the_newest_run(relation) -%}
        {%- set newest_load -%}
            _loaded_at = (select max(_loaded_at) from {{ relation }})
        {%- endset -%}
        {%- set test = model.get('test_metadata') or {} -%}
        {%- if test.get('name') == 'unique' -%}
            {%- set key = test.get('kwargs', {}).get('column_name') -%}
            {%- set newest_load -%}
                {{ key }} in (select {{ key }} from {{ relation }} where {{ newest_load }})
            {%- endset -%}
        {%- endif -%}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ where
            | replace('__recomputed_by_the_newest_run__', newest_run)
            | replace('__loaded_by_the_newest_load__', newest_load) }}) dbt_subquery
    {%- endset -%}
    {%- do return(filtered) -%}
{%- endmacro %}

{#- The rows of `relation` the newest run (re)computed: `recomputed_at` equal to the newest stamp
    the table holds (macro run_stamp); `1 = 1` under `--vars '{test_every_row: true}'`. -#}
{% macro recomputed_by_the_newest_run(relation) -%}
    {%- if var('test_every_row', false) -%}
        1 = 1
    {%- else -%}
        recomputed_at = (select max(recomputed_at) from {{ relation }})
    {%- endif -%}
{%- endmacro %}
