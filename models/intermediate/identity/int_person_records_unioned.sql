-- Leads and contacts as one list of person records, each with its account, segment and ICP
-- title fit. The email address leaves here only as a salted hash and a domain: everything
-- downstream of staging matches people on the hash. Account ids a contact or a converted lead
-- carries are read through def_record_id_mapping (merged or migrated accounts), as
-- opportunities' are in int_opportunity_accounts_resolved.
--
-- Incremental (8-9 s of a 1M-lead daily run as a table): a run recomputes the records whose
-- lead or contact was loaded since, or whose accounts or definitions changed (macro
-- person_records_changed_since_last_run; the pre-hooks of incremental_changed_keys stage them
-- and delete their rows; the post-hooks keep copies of the accounts and definitions read).
-- A change of var pii_salt needs `--full-refresh`. Equal to a full rebuild:
-- tests/test_incremental_marts.py.
{% set input_copy_hooks = [] -%}
{%- for copy in person_input_copy_names() -%}
    {%- do input_copy_hooks.append("{{ person_input_saved('" ~ copy ~ "') }}") -%}
{%- endfor %}
{{ config(
    materialized=incremental_materialization(),
    unique_key='record_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ incremental_stage_changed_keys(person_records_changed_since_last_run()) }}",
        "{{ incremental_delete_changed_keys('record_id') }}",
    ],
    post_hook=["{{ incremental_drop_changed_keys() }}"] + input_copy_hooks,
) }}

with

leads as (

    select * from {{ ref('stg_crm__leads') }}
    where not is_deleted
    {%- if is_incremental() %}
        and lead_id in (select record_id from {{ changed_keys_relation() }})
    {%- endif %}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where not is_deleted
    {%- if is_incremental() %}
        and contact_id in (select record_id from {{ changed_keys_relation() }})
    {%- endif %}

),

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

account_id_mapping as (

    select * from {{ ref('def_record_id_mapping') }}
    where lower(object_name) = 'account'

),

-- A lead names its company but not its account. Matched by website domain, then by email
-- domain, then by exact company name; when two accounts share a key the earliest created wins.
account_keys as (

    select
        website_domain as match_key,
        'website_domain' as key_type,
        account_id,
        created_at
    from accounts
    where website_domain is not null

    union all

    select
        lower(account_name) as match_key,
        'company_name' as key_type,
        account_id,
        created_at
    from accounts
    where account_name is not null

),

unique_account_keys as (

    select
        match_key,
        key_type,
        account_id
    from (
        select
            match_key,
            key_type,
            account_id,
            row_number() over (
                partition by key_type, match_key
                order by created_at, account_id
            ) as key_rank
        from account_keys
    ) as ranked_account_keys
    where key_rank = 1

),

lead_records as (

    select
        leads.lead_id as record_id,
        'lead' as record_type,
        leads.lead_id,
        cast(null as {{ dbt.type_string() }}) as contact_id,
        leads.converted_contact_id,
        leads.converted_opportunity_id,
        coalesce(
            converted_account_mapping.target_record_id,
            leads.converted_account_id,
            website_accounts.account_id,
            email_accounts.account_id,
            named_accounts.account_id
        ) as account_id,
        case
            when leads.converted_account_id is not null then 'converted'
            when website_accounts.account_id is not null then 'website_domain'
            when email_accounts.account_id is not null then 'email_domain'
            when named_accounts.account_id is not null then 'company_name'
        end as account_match,
        {{ hash_pii('leads.email') }} as email_hash,
        leads.email_domain,
        leads.title,
        leads.company_name,
        leads.country,
        leads.lead_source,
        leads.lead_status,
        leads.rejection_reason,
        leads.owner_user_id,
        leads.employee_count,
        leads.email is not null as has_email,
        leads.phone is not null as has_phone,
        leads.company_name is not null as has_company,
        leads.title is not null as has_title,
        leads.is_converted,
        leads.converted_date,
        leads.created_at,
        leads.loaded_at as source_loaded_at
    from leads
    left join account_id_mapping as converted_account_mapping
        on leads.converted_account_id = converted_account_mapping.source_record_id
    left join unique_account_keys as website_accounts
        on website_accounts.key_type = 'website_domain'
        and leads.website_domain = website_accounts.match_key
    left join unique_account_keys as email_accounts
        on email_accounts.key_type = 'website_domain'
        and leads.email_domain = email_accounts.match_key
    left join unique_account_keys as named_accounts
        on named_accounts.key_type = 'company_name'
        and lower(leads.company_name) = named_accounts.match_key

),

contact_records as (

    select
        contacts.contact_id as record_id,
        'contact' as record_type,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        contacts.contact_id,
        cast(null as {{ dbt.type_string() }}) as converted_contact_id,
        cast(null as {{ dbt.type_string() }}) as converted_opportunity_id,
        coalesce(account_id_mapping.target_record_id, contacts.account_id) as account_id,
        case when contacts.account_id is not null then 'contact_account' end as account_match,
        {{ hash_pii('contacts.email') }} as email_hash,
        contacts.email_domain,
        contacts.title,
        accounts.account_name as company_name,
        contacts.mailing_country as country,
        contacts.lead_source,
        cast(null as {{ dbt.type_string() }}) as lead_status,
        cast(null as {{ dbt.type_string() }}) as rejection_reason,
        contacts.owner_user_id,
        -- A contact reports no company size of its own: its account's counts.
        accounts.employee_count,
        contacts.email is not null as has_email,
        contacts.phone is not null as has_phone,
        accounts.account_name is not null as has_company,
        contacts.title is not null as has_title,
        false as is_converted,
        cast(null as date) as converted_date,
        contacts.created_at,
        contacts.loaded_at as source_loaded_at
    from contacts
    left join account_id_mapping
        on contacts.account_id = account_id_mapping.source_record_id
    left join accounts
        on coalesce(account_id_mapping.target_record_id, contacts.account_id) = accounts.account_id

),

records as (

    select * from lead_records
    union all
    select * from contact_records

),

records_segmented as (

    select
        records.*,
        segments.segment_code
    from records
    left join segments
        on records.employee_count >= segments.min_employees
        and (segments.max_employees is null or records.employee_count <= segments.max_employees)

),

-- Persona fit is judged by the ICP version of the record's segment in force the day the
-- record was created.
records_versioned as (

    select
        records_segmented.*,
        icp_versions.icp_version
    from records_segmented
    left join icp_versions
        on records_segmented.segment_code = icp_versions.segment_code
        and {{ in_force_on('icp_versions', 'cast(records_segmented.created_at as date)') }}

),

title_fits as (

    {{ icp_title_keyword_fits('records_versioned', 'record_id') }}

),

final as (

    select
        records_versioned.*,
        -- Null when no ICP version with title keywords judges the record (unknown segment).
        case
            when title_fits.record_id is not null then title_fits.has_title_keyword = 1
        end as is_icp_title_fit,
        {{ run_stamp() }} as recomputed_at
    from records_versioned
    left join title_fits
        on records_versioned.record_id = title_fits.record_id

)

select * from final
