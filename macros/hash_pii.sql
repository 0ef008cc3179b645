{#- A salted sha256 of a personal value (an email address), as lowercase hex: equal inputs give
    equal hashes, so marts join and de-duplicate on it, while the address itself stays in raw
    and staging. The salt (var pii_salt) stops a dictionary of known addresses from reversing
    the hash. Null stays null: PostgreSQL's concat() skips nulls and would hash the bare salt.
    sha256 is not among dbt's cross-database macros, hence one implementation per adapter; the
    default falls back to dbt.hash (md5), weaker but available everywhere. -#}
{% macro hash_pii(column) -%}
    {{ return(adapter.dispatch('hash_pii', 'revops')(column)) }}
{%- endmacro %}

{% macro default__hash_pii(column) -%}
    case
        when {{ column }} is null then null
        else {{ dbt.hash(dbt.concat([dbt.string_literal(var('pii_salt')), column])) }}
    end
{%- endmacro %}

{% macro duckdb__hash_pii(column) -%}
    case
        when {{ column }} is null then null
        else sha256({{ dbt.concat([dbt.string_literal(var('pii_salt')), column]) }})
    end
{%- endmacro %}

{% macro postgres__hash_pii(column) -%}
    case
        when {{ column }} is null then null
        else encode(sha256(convert_to({{ dbt.concat([dbt.string_literal(var('pii_salt')), column]) }}, 'UTF8')), 'hex')
    end
{%- endmacro %}
