{#-
    Incremental models whose changes are found from their inputs, not by recomputing every row
    and comparing (as the marts do): on an incremental run,
      pre-hook 1  incremental_stage_changed_keys(select) stores the keys the run recomputes in
                  <model>__changed, a table beside the model, from the rows the model still
                  holds (the old values a changed record had, so the keys it affected before
                  the change are found as well as those it affects now);
      pre-hook 2  incremental_delete_changed_keys(key) deletes every stored row of those keys,
                  so a key whose record no longer yields a row (a deleted task, an activity
                  type no longer counted) is gone, which delete+insert alone cannot do: it
                  deletes only the keys of the rows it inserts;
      the model   selects the rows of the staged keys (changed_keys_relation());
      post-hook   incremental_drop_changed_keys() drops the table.
    The hooks run in the model's transaction (a failed run leaves the table as it was) and
    render to nothing on a full build and on Spark, where the model is a plain table
    (incremental_materialization). Use them as strings, so they render at run time.
-#}
{#- A table beside the model, `<model>__<suffix>`: the staged change sets and input copies below
    and in the *_changed_since_last_run macros. table_beside_this_created(suffix) drops it and
    opens its `create table ... as` (the caller appends the select); _dropped drops it in a
    post-hook on every build where the model is incremental (a full build too, so a table an
    interrupted run left is not read later). -#}
{% macro relation_beside_this(suffix) -%}
    {{ return(this.incorporate(path={"identifier": this.identifier ~ "__" ~ suffix}, type="table")) }}
{%- endmacro %}

{% macro table_beside_this_created(suffix) -%}
    {%- set relation = relation_beside_this(suffix) -%}
    {%- do adapter.drop_relation(relation) %}
    create table {{ relation }} as
{%- endmacro %}

{% macro table_beside_this_dropped(suffix) -%}
    {%- if execute and config.get('materialized') == 'incremental' -%}
    drop table if exists {{ relation_beside_this(suffix) }}
    {%- endif -%}
{%- endmacro %}

{#- An incremental run on a table that carries run stamps (macro run_stamp): the staged
    change sets need them; without (a table built before them) the readers compare every row. -#}
{% macro is_incremental_with_run_stamps() -%}
    {{ return(execute and is_incremental() and 'recomputed_at' in (
        adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list)) }}
{%- endmacro %}

{% macro changed_keys_relation() -%}
    {{ return(relation_beside_this('changed')) }}
{%- endmacro %}

{% macro incremental_stage_changed_keys(changed_keys_select) -%}
    {%- if is_incremental() -%}
    {{ table_beside_this_created('changed') }}
    {{ changed_keys_select }}
    {%- endif -%}
{%- endmacro %}

{% macro incremental_delete_changed_keys(key_column) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {{ key_column }} in (select {{ key_column }} from {{ changed_keys_relation() }})
    {%- endif -%}
{%- endmacro %}

{% macro incremental_drop_changed_keys() -%}
    {%- if is_incremental() -%}
    drop table if exists {{ changed_keys_relation() }}
    {%- endif -%}
{%- endmacro %}

{#- The copies of its inputs an incremental model keeps beside itself, as its last run read
    them, to compare with on the next run: input_copy_relation(name) is <model>__<name>_read;
    input_copy_saved(name, select_sql), a post-hook, replaces it with what this run read, in
    the model's transaction, on every build where the model is incremental (full builds too,
    so the next run compares). -#}
{% macro input_copy_relation(name) -%}
    {{ return(relation_beside_this(name ~ '_read')) }}
{%- endmacro %}

{% macro input_copy_saved(name, select_sql) -%}
    {%- if execute and config.get('materialized') == 'incremental' -%}
    {{ table_beside_this_created(name ~ '_read') }}
    {{ select_sql }}
    {%- endif -%}
{%- endmacro %}
