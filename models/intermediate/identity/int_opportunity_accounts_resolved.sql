-- One row per opportunity: every column of stg_crm__opportunities, with account_id read
-- through def_record_id_mapping (an id listed there -- a merged or migrated account -- is
-- replaced by the id that exists). fct_opportunities reads opportunities from here, so a
-- mapping row fixes the mart's account and segment. source_account_id keeps the id as the CRM
-- exported it; account_exists is false when the resolved account is not in the CRM export.
{%- set opportunity_columns = adapter.get_columns_in_relation(ref('stg_crm__opportunities')) %}
{%- if execute and not opportunity_columns %}
    {{ exceptions.raise_compiler_error(
        'int_opportunity_accounts_resolved lists the columns of ' ~ ref('stg_crm__opportunities')
        ~ ', which is not built yet: build it first (dbt build does; dbt compile alone does not).'
    ) }}
{%- endif %}

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

account_id_mapping as (

    select * from {{ ref('def_record_id_mapping') }}
    where lower(object_name) = 'account'

),

final as (

    select
        {%- for column in opportunity_columns %}
        {%- if column.name | lower == 'account_id' %}
        coalesce(account_id_mapping.target_record_id, opportunities.account_id) as account_id,
        {%- else %}
        opportunities.{{ adapter.quote(column.name) }},
        {%- endif %}
        {%- endfor %}
        opportunities.account_id as source_account_id,
        account_id_mapping.target_record_id is not null as is_account_id_mapped,
        accounts.account_id is not null as account_exists
    from opportunities
    left join account_id_mapping
        on opportunities.account_id = account_id_mapping.source_record_id
    left join accounts
        on coalesce(account_id_mapping.target_record_id, opportunities.account_id)
            = accounts.account_id

)

select * from final
