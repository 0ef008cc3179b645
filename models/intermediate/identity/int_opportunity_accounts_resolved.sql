-- One row per opportunity with the account it refers to, read through def_record_id_mapping:
-- an id listed there (a merged or migrated account) is replaced by the id that exists.
-- account_exists is false when the resolved account is not in the CRM export at all.

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
        opportunities.opportunity_id,
        opportunities.account_id as source_account_id,
        coalesce(account_id_mapping.target_record_id, opportunities.account_id) as account_id,
        account_id_mapping.target_record_id is not null as is_account_id_mapped,
        accounts.account_id is not null as account_exists
    from opportunities
    left join account_id_mapping
        on account_id_mapping.source_record_id = opportunities.account_id
    left join accounts
        on accounts.account_id = coalesce(account_id_mapping.target_record_id, opportunities.account_id)

)

select * from final
