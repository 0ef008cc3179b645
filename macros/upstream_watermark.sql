{#-
    How far a model has read an upstream model's recomputed rows (its `recomputed_at`, macro
    run_stamp), kept beside the upstream as <upstream>__read_by_<model>: one row, the newest
    stamp the upstream held when the model last ran. The marts keep no run stamps, so two
    builds of the same data stay row-for-row identical.
      upstream_watermark_relation(upstream)  the relation; none until the model has run
      upstream_watermark_saved(upstream)     post-hook: replaces it with the upstream's newest
                                             stamp, in the model's transaction (a failed run
                                             keeps the old one); on every build of an
                                             incremental model, full ones included, so the
                                             first daily run after a full build is incremental
    Rows the upstream recomputed since are those stamped above it: every model of one dbt
    invocation shares the stamp, and the model runs after its upstream.
-#}
{% macro upstream_watermark_relation(upstream) -%}
    {{ return(upstream.incorporate(
        path={"identifier": upstream.identifier ~ "__read_by_" ~ this.identifier}, type="table"
    )) }}
{%- endmacro %}

{% macro upstream_watermark_saved(upstream) -%}
    {%- if execute and config.get('materialized') == 'incremental' -%}
    {%- set watermark = upstream_watermark_relation(upstream) -%}
    {%- do adapter.drop_relation(watermark) %}
    create table {{ watermark }} as
    select max(recomputed_at) as recomputed_at from {{ upstream }}
    {%- endif -%}
{%- endmacro %}
