{{ config(post_hook="{{ refresh_planner_statistics(this) }}") }}

with

accounts as (

    select * from {{ ref('int_accounts_segmented') }}

),

abm_activations as (

    select * from {{ ref('int_abm_accounts_activated') }}

),

final as (

    select
        accounts.account_id,
        accounts.account_name,
        accounts.account_type,
        accounts.account_domain,
        accounts.industry,
        accounts.employee_count,
        accounts.billing_country,
        accounts.segment_code,
        accounts.icp_version,
        accounts.is_icp_fit,
        accounts.is_abm_target,
        accounts.owner_user_id,
        accounts.is_abm_target and abm_activations.account_id is not null as is_abm_active,
        abm_activations.abm_activated_at,
        abm_activations.last_abm_activation_at,
        accounts.created_at
    from accounts
    left join abm_activations
        on accounts.account_id = abm_activations.account_id

)

select * from final
