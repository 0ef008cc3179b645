{#-
    Identity resolution, incrementally: the three per-person models recompute only the people
    whose inputs changed since their last run (pre-hooks of incremental_changed_keys stage the
    keys and delete their rows; full builds and Spark render nothing here).

      int_person_records_unioned   records (record_id): macro person_records_changed_since_last_run
      int_person_records_resolved  match keys (record_id, match_key): person_records_rekeyed_since_last_run
      dim_people                   people (person_id): people_changed_since_last_run

    Each finds its changes from what it holds: load stamps (source_loaded_at) of the leads and
    contacts, run stamps (recomputed_at, macro run_stamp) of the model it reads, and copies
    of the accounts and definitions it read last time (person_input_saved, its post-hooks).
-#}

{#- What of stg_crm__accounts a person record depends on: its match keys (website domain,
    name; the earliest created wins a shared key), and for a contact its company's name,
    size (segment) and whether the account is live. -#}
{% macro person_account_columns() -%}
    {{ return(['website_domain', 'account_name', 'created_at', 'employee_count', 'is_deleted']) }}
{%- endmacro %}

{#- The definitions int_person_records_unioned reads: any change recomputes every record. -#}
{% macro person_definition_seeds() -%}
    {{ return(['def_segments', 'def_icp_versions', 'def_icp_rules', 'def_record_id_mapping']) }}
{%- endmacro %}

{#- The copies of those inputs, beside int_person_records_unioned, as its last run read them
    (input_copy_relation): 'accounts' and one per definition seed, by name. -#}
{% macro person_input_copy_names() -%}
    {{ return(['accounts'] + person_definition_seeds()) }}
{%- endmacro %}

{% macro person_input_copies() -%}
    {%- set copies = {} -%}
    {%- for copy in person_input_copy_names() -%}
        {%- do copies.update({copy: input_copy_relation(copy)}) -%}
    {%- endfor -%}
    {{ return(copies) }}
{%- endmacro %}

{#- Post-hook, once per copy (person_input_copies): input_copy_saved of what this run read. -#}
{% macro person_input_saved(copy) -%}
    {%- if copy == 'accounts' -%}
    {%- set select_sql -%}
    select account_id, {{ person_account_columns() | join(', ') }}
    from {{ ref('stg_crm__accounts') }}
    {%- endset -%}
    {%- else -%}
    {%- set select_sql = 'select * from ' ~ ref(copy) -%}
    {%- endif -%}
    {{ input_copy_saved(copy, select_sql) }}
{%- endmacro %}

{#- The shared keying of int_person_records_resolved, as two CTEs over the CTE `records`
    (int_person_records_unioned's columns): contact_keys and records_keyed, which adds
    match_key. A lead converted to a live contact takes that contact's key; every other
    record its email hash, or its own id without one. -#}
{% macro person_records_keyed_ctes(records) -%}
contact_keys as (

    select
        contact_id,
        coalesce(email_hash, contact_id) as match_key
    from {{ records }}
    where record_type = 'contact'

),

records_keyed as (

    select
        {{ records }}.*,
        case
            when contact_keys.contact_id is not null then contact_keys.match_key
            else coalesce({{ records }}.email_hash, {{ records }}.record_id)
        end as match_key,
        contact_keys.contact_id is not null as is_converted_to_live_contact
    from {{ records }}
    left join contact_keys
        on {{ records }}.converted_contact_id = contact_keys.contact_id

)
{%- endmacro %}

{#-
    The records int_person_records_unioned recomputes (record_id). A record's row depends on
    its lead or contact, the accounts (a lead is matched to one by domain or name, a contact
    carries its account's name and size) and the definitions. So a record is recomputed when
      - its lead or contact was loaded since the last run: against the newest load stamp the
        model holds from leads, and from contacts (sound because dbt runs after the ingestion
        it reads, never during it; a deleted record is loaded too, and its row goes);
      - an account changed against the copy the last run read (or appeared, or went): the
        leads whose domain or company name is one of that account's keys, now or before,
        the leads converted into it, the contacts under it, and every stored record on it;
      - a definition changed (any row of a seed in person_definition_seeds): every record;
      - during `revops backfill`, it was created on the backfill days.
    Without the copies or stamps (a table built before them) every record is recomputed once.
-#}
{% macro person_records_changed_since_last_run() -%}
{#- Hook arguments render at parse time too, and on full builds: nothing to select then. -#}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set never = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- set copies = person_input_copies() -%}
{%- set ns = namespace(can_compare='source_loaded_at' in stored_columns) -%}
{%- for relation in copies.values() -%}
    {%- if load_relation(relation) is none -%}{%- set ns.can_compare = false -%}{%- endif -%}
{%- endfor -%}
{%- if not ns.can_compare -%}
select lead_id as record_id from {{ ref('stg_crm__leads') }}
union
select contact_id as record_id from {{ ref('stg_crm__contacts') }}
union
select record_id from {{ this }}
{%- else -%}
with

stored as (

    select record_id, record_type, account_id, source_loaded_at
    from {{ this }}

),

watermarks as (

    select
        {%- for record_type in ['lead', 'contact'] %}
        coalesce(
            max(case when record_type = '{{ record_type }}' then source_loaded_at end),
            {{ never }}
        ) as {{ record_type }}_loaded_at{{ ',' if not loop.last }}
        {%- endfor %}
    from stored

),

-- One row per definition seed that differs from the copy its last run read.
changed_definitions as (

    {%- for seed in person_definition_seeds() %}
    select '{{ seed }}' as seed_name
    from (
        (select * from {{ ref(seed) }} except select * from {{ copies[seed] }})
        union all
        (select * from {{ copies[seed] }} except select * from {{ ref(seed) }})
    ) as {{ seed }}_differences
    {{ 'union' if not loop.last }}
    {%- endfor %}

),

changed_accounts as (

    select
        current_rows.account_id as current_account_id,
        read_rows.account_id as read_account_id,
        current_rows.website_domain as current_website_domain,
        read_rows.website_domain as read_website_domain,
        lower(current_rows.account_name) as current_name_key,
        lower(read_rows.account_name) as read_name_key
    from {{ ref('stg_crm__accounts') }} as current_rows
    full outer join {{ copies['accounts'] }} as read_rows
        on current_rows.account_id = read_rows.account_id
    where current_rows.account_id is null
        or read_rows.account_id is null
        {%- for column in person_account_columns() %}
        or current_rows.{{ column }} is distinct from read_rows.{{ column }}
        {%- endfor %}

),

{#- changed_account_ids, changed_website_domains, changed_name_keys: now and as read. #}
{%- for name, column in [('account_ids', 'account_id'), ('website_domains', 'website_domain'), ('name_keys', 'name_key')] %}
changed_{{ name }} as (

    select current_{{ column }} as changed_value from changed_accounts
    where current_{{ column }} is not null
    union
    select read_{{ column }} as changed_value from changed_accounts
    where read_{{ column }} is not null

),
{% endfor %}
everything as (

    select count(*) > 0 as is_changed from changed_definitions

)

select leads.lead_id as record_id
from {{ ref('stg_crm__leads') }} as leads
cross join watermarks
cross join everything
where everything.is_changed
    or leads.loaded_at > watermarks.lead_loaded_at
    or leads.converted_account_id in (select changed_value from changed_account_ids)
    or leads.website_domain in (select changed_value from changed_website_domains)
    or leads.email_domain in (select changed_value from changed_website_domains)
    or lower(leads.company_name) in (select changed_value from changed_name_keys)
    {%- if backfill_window() %}
    or {{ in_backfill_window('leads.created_at') }}
    {%- endif %}

union

select contacts.contact_id as record_id
from {{ ref('stg_crm__contacts') }} as contacts
cross join watermarks
cross join everything
where everything.is_changed
    or contacts.loaded_at > watermarks.contact_loaded_at
    or contacts.account_id in (select changed_value from changed_account_ids)
    {%- if backfill_window() %}
    or {{ in_backfill_window('contacts.created_at') }}
    {%- endif %}

union

select stored.record_id
from stored
cross join everything
where everything.is_changed
    or stored.account_id in (select changed_value from changed_account_ids)
{%- endif -%}
{%- endmacro %}

{#-
    The records int_person_records_resolved recomputes, as (record_id, match_key): every
    record of a match key that one changed record has, now or as stored. A record changed when
    int_person_records_unioned recomputed it since this model's last run (run stamps), when
    it is gone from there, or when it is a lead converted into such a contact (its key follows
    the contact's). The keys of every record sharing an email hash with a changed record are
    recomputed too: a lead is a duplicate when an earlier lead had its address. The model
    recomputes the records of the staged keys whole (survivor, counts); the rows deleted are
    the stored rows of those keys and of the changed records.
-#}
{% macro person_records_rekeyed_since_last_run() -%}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set never = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
with

records as (

    select * from {{ ref('int_person_records_unioned') }}

),

{{ person_records_keyed_ctes('records') }},

{% if 'match_key' not in stored_columns or 'recomputed_at' not in stored_columns -%}
every_key as (

    select record_id, match_key from records_keyed
    union
    select record_id, cast(null as {{ dbt.type_string() }}) as match_key from {{ this }}

)

select * from every_key
{%- else -%}
stored as (

    select record_id, match_key, email_hash, recomputed_at from {{ this }}

),

last_run as (

    select coalesce(max(recomputed_at), {{ never }}) as recomputed_at from stored

),

recomputed_records as (

    select records.record_id
    from records
    cross join last_run
    where records.recomputed_at > last_run.recomputed_at

    union

    select stored.record_id
    from stored
    left join records
        on stored.record_id = records.record_id
    where records.record_id is null

),

changed_records as (

    select record_id from recomputed_records

    union

    select records.record_id
    from records
    inner join recomputed_records
        on records.converted_contact_id = recomputed_records.record_id

),

changed_email_hashes as (

    select records.email_hash
    from records
    inner join changed_records
        on records.record_id = changed_records.record_id
    where records.email_hash is not null

    union

    select stored.email_hash
    from stored
    inner join changed_records
        on stored.record_id = changed_records.record_id
    where stored.email_hash is not null

),

changed_match_keys as (

    select records_keyed.match_key
    from records_keyed
    inner join changed_records
        on records_keyed.record_id = changed_records.record_id

    union

    select stored.match_key
    from stored
    inner join changed_records
        on stored.record_id = changed_records.record_id

    union

    select records_keyed.match_key
    from records_keyed
    inner join changed_email_hashes
        on records_keyed.email_hash = changed_email_hashes.email_hash

)

select stored.record_id, stored.match_key
from stored
inner join changed_match_keys
    on stored.match_key = changed_match_keys.match_key

union

select records_keyed.record_id, records_keyed.match_key
from records_keyed
inner join changed_match_keys
    on records_keyed.match_key = changed_match_keys.match_key
{%- endif -%}
{%- endmacro %}

{#-
    The people dim_people recomputes (person_id): the person of every record
    int_person_records_resolved recomputed since this model's last run (a key is recomputed
    whole, so a person who lost or gained a record is among them), and every stored person
    who is no longer any record's survivor.
-#}
{% macro people_changed_since_last_run() -%}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set never = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- if 'recomputed_at' not in stored_columns -%}
select person_id from {{ ref('int_person_records_resolved') }}
union
select person_id from {{ this }}
{%- else -%}
with

last_run as (

    select coalesce(max(recomputed_at), {{ never }}) as recomputed_at from {{ this }}

),

survivors as (

    select person_id from {{ ref('int_person_records_resolved') }}
    where is_survivor

)

select records.person_id
from {{ ref('int_person_records_resolved') }} as records
cross join last_run
where records.recomputed_at > last_run.recomputed_at

union

select stored.person_id
from {{ this }} as stored
left join survivors
    on stored.person_id = survivors.person_id
where survivors.person_id is null
{%- endif -%}
{%- endmacro %}

{#- The people identity resolution changed since a model's last run, as person_id: those with
    a record int_person_records_resolved recomputed, or a row dim_people recomputed, after
    the newest run stamp the model holds (`last_run_cte`: a CTE with one recomputed_at row).
    fct_touchpoints and int_marketing_touches_joined_to_opportunities recompute what those
    people reach. -#}
{% macro people_recomputed_since(last_run_cte) -%}
    select records.person_id
    from {{ ref('int_person_records_resolved') }} as records
    cross join {{ last_run_cte }}
    where records.recomputed_at > {{ last_run_cte }}.recomputed_at

    union

    select people.person_id
    from {{ ref('dim_people') }} as people
    cross join {{ last_run_cte }}
    where people.recomputed_at > {{ last_run_cte }}.recomputed_at
{%- endmacro %}

{#- Pre-hook of fct_touchpoints and int_marketing_touches_joined_to_opportunities:
    people_recomputed_since this model's last run, kept in <model>__people_changed for the
    hooks and the model to read (people_recomputed_relation), and dropped by the post-hook
    people_recomputed_dropped. From a table the planner knows how few they are: read as a CTE
    (two unions), they were estimated at millions of rows, and DuckDB hashed the big side of
    each semi-join with them (the 6.4M stored touches, the 2.5M stored marketing touches, the
    15M activities) instead of the few people (~1 s per model in a 1M-lead daily run). The last
    run's stamp is a literal (last_run_stamp_before_this_run). Renders to nothing on a full
    build and on a table without run stamps (the readers then compare every row). -#}
{% macro people_recomputed_relation() -%}
    {{ return(relation_beside_this('people_changed')) }}
{%- endmacro %}

{% macro people_recomputed_staged() -%}
    {%- if is_incremental_with_run_stamps() -%}
    {{ table_beside_this_created('people_changed') }}
    with last_run as (

        select {{ last_run_stamp_before_this_run() }} as recomputed_at

    )
    {{ people_recomputed_since('last_run') }}
    {%- endif -%}
{%- endmacro %}

{% macro people_recomputed_dropped() -%}
    {{ return(table_beside_this_dropped('people_changed')) }}
{%- endmacro %}
