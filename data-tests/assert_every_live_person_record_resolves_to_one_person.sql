-- Identity resolution must neither lose nor invent records: every live lead and contact in
-- staging is one row of int_person_records_resolved, and every person_id is the id of a
-- surviving record. A returned row names the check that failed and the two counts; any
-- difference is a defect (threshold 0), since a lost record drops a person's history.

with

staged_records as (

    select lead_id as record_id from {{ ref('stg_crm__leads') }} where not is_deleted
    union all
    select contact_id as record_id from {{ ref('stg_crm__contacts') }} where not is_deleted

),

resolved_records as (

    select * from {{ ref('int_person_records_resolved') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

checks as (

    select
        'live records resolved once' as check_name,
        (select count(*) from staged_records) as expected_count,
        (select count(distinct record_id) from resolved_records) as actual_count

    union all

    select
        'people are surviving records' as check_name,
        (select count(distinct person_id) from resolved_records) as expected_count,
        (select count(*) from resolved_records where is_survivor) as actual_count

    union all

    select
        'merge trace accounts for every record' as check_name,
        (select count(*) from resolved_records) as expected_count,
        (select sum(merged_record_count + 1) from people) as actual_count

)

select *
from checks
where expected_count != actual_count
    or (expected_count is null) != (actual_count is null)
