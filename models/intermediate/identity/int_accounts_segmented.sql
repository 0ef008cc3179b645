-- Accounts with their segment (employee band of def_segments) and firmographic ICP fit under
-- the ICP version of that segment in force today: the dimension answers "is this account in
-- our ICP now?". Person records are judged by the version in force when they were created
-- (int_person_records_unioned).

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}
    where not is_deleted

),

segments as (

    select * from {{ ref('def_segments') }}

),

icp_versions as (

    select * from {{ ref('def_icp_versions') }}

),

icp_rules as (

    select * from {{ ref('def_icp_rules') }}

),

accounts_segmented as (

    select
        accounts.*,
        segments.segment_code
    from accounts
    left join segments
        on accounts.employee_count >= segments.min_employees
        and (segments.max_employees is null or accounts.employee_count <= segments.max_employees)

),

accounts_versioned as (

    select
        accounts_segmented.*,
        icp_versions.icp_version
    from accounts_segmented
    left join icp_versions
        on accounts_segmented.segment_code = icp_versions.segment_code
        and {{ in_force_on('icp_versions', 'cast(' ~ dbt.current_timestamp() ~ ' as date)') }}

),

-- Firmographic rules: the company must match at least one value of every rule type the
-- version lists (industry, country); the employee band is the segment itself.
rule_type_matches as (

    select
        accounts_versioned.account_id,
        icp_rules.rule_type,
        max(
            case
                when icp_rules.rule_type = 'industry'
                    and lower(accounts_versioned.industry) = lower(icp_rules.rule_value) then 1
                when icp_rules.rule_type = 'country'
                    and lower(accounts_versioned.billing_country) = lower(icp_rules.rule_value) then 1
                else 0
            end
        ) as is_matched
    from accounts_versioned
    inner join icp_rules
        on accounts_versioned.segment_code = icp_rules.segment_code
        and accounts_versioned.icp_version = icp_rules.icp_version
        and icp_rules.rule_type in ('industry', 'country')
    group by
        accounts_versioned.account_id,
        icp_rules.rule_type

),

icp_fits as (

    select
        account_id,
        min(is_matched) = 1 as is_icp_fit
    from rule_type_matches
    group by account_id

),

final as (

    select
        accounts_versioned.account_id,
        accounts_versioned.account_name,
        accounts_versioned.account_type,
        accounts_versioned.website_domain as account_domain,
        accounts_versioned.industry,
        accounts_versioned.employee_count,
        accounts_versioned.billing_country,
        accounts_versioned.segment_code,
        accounts_versioned.icp_version,
        -- Null when no ICP version judges the account (employee count unknown).
        case
            when accounts_versioned.icp_version is not null then coalesce(icp_fits.is_icp_fit, true)
        end as is_icp_fit,
        accounts_versioned.is_abm_target,
        accounts_versioned.owner_user_id,
        accounts_versioned.created_at
    from accounts_versioned
    left join icp_fits
        on accounts_versioned.account_id = icp_fits.account_id

)

select * from final
