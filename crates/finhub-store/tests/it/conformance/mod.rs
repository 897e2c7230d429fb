//! The conformance suite, generic over `dyn Store`, and its instantiation for each backend: SQLite
//! in memory and in a WAL file, and PostgreSQL (a database of its own per test).

mod audit;
mod certificates;
mod concurrency;
mod directory;
mod isolation;
mod login_attempts;
mod mfa;
mod refresh_tokens;
mod sessions;
mod traqs;
mod upstream_tokens;

/// Instantiates every listed suite test once per backend, as `<backend>::<test name>`.
macro_rules! run_suite {
    ($($module:ident::$test:ident),* $(,)?) => {
        mod sqlite_memory {
            $(
                #[tokio::test]
                async fn $test() {
                    let db = crate::support::TestDb::memory().await;
                    super::$module::$test(&db.store).await;
                }
            )*
        }

        mod sqlite_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let db = crate::support::TestDb::file(stringify!($test)).await;
                    super::$module::$test(&db.store).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let db = crate::support::TestDb::postgres(stringify!($test)).await;
                    super::$module::$test(&db.store).await;
                }
            )*
        }
    };
}

run_suite! {
    directory::tenants_round_trip_and_their_settings_can_be_replaced,
    directory::tenant_inserts_conflict_and_updates_of_missing_tenants_are_not_found,
    directory::customers_round_trip_and_can_be_disabled,
    directory::customer_inserts_conflict_and_need_their_tenant,
    directory::users_round_trip_with_exact_usernames_and_can_be_disabled,
    directory::user_inserts_conflict_and_need_their_tenant,
    directory::upstream_credentials_round_trip_and_are_replaced_whole,
    isolation::customers_of_one_tenant_are_invisible_to_another,
    isolation::users_of_one_tenant_are_invisible_to_another,
    isolation::upstream_credentials_and_tenant_settings_stay_with_their_tenant,
    isolation::sessions_of_one_tenant_are_not_listed_for_another,
    isolation::login_failures_are_counted_per_tenant,
    sessions::sessions_round_trip_to_the_nanosecond,
    sessions::session_inserts_conflict_and_need_their_customer_and_user,
    sessions::extend_access_is_a_compare_and_set_refused_for_revoked_sessions,
    sessions::revoking_a_session_keeps_the_first_time_and_unknown_sessions_are_not_found,
    sessions::active_sessions_exclude_revoked_and_ended_ones,
    sessions::revoke_family_revokes_its_sessions_and_refresh_tokens_and_nothing_else,
    sessions::revoking_what_rests_on_a_principal_revokes_exactly_that,
    sessions::ended_sessions_and_refresh_tokens_are_purged_in_batches_live_families_kept,
    directory::a_users_password_hash_can_be_replaced,
    refresh_tokens::refresh_tokens_round_trip_and_conflict_on_reinsert,
    refresh_tokens::a_refresh_token_is_consumed_once_and_keeps_its_successor,
    refresh_tokens::revoked_or_unknown_refresh_tokens_cannot_be_consumed,
    refresh_tokens::a_session_and_its_refresh_token_are_issued_together_or_not_at_all,
    login_attempts::failures_count_up_and_clear,
    login_attempts::the_login_lookup_reads_tenant_customer_user_and_failures_at_once,
    login_attempts::quiet_runs_of_failures_are_forgotten_in_batches,
    audit::audit_events_round_trip_newest_first_up_to_the_limit,
    audit::a_tenants_events_are_filtered_and_paged_newest_first,
    concurrency::fifty_concurrent_issues_are_each_answered_for_their_own_rows,
    sessions::a_persons_sessions_are_listed_newest_first_with_their_origin,
    sessions::the_last_use_is_written_at_most_once_per_interval,
    directory::a_users_role_can_be_set_and_missing_users_are_not_found,
    certificates::bindings_round_trip_per_customer_and_per_tenant,
    certificates::binding_inserts_conflict_and_need_their_customer,
    certificates::unbinding_removes_exactly_one_binding,
    certificates::bindings_of_one_tenant_are_invisible_to_another,
    concurrency::fifty_concurrent_extend_access_calls_have_exactly_one_winner,
    concurrency::fifty_concurrent_consumes_of_a_refresh_token_have_exactly_one_winner,
    concurrency::fifty_concurrent_failures_count_fifty,
    concurrency::fifty_concurrent_uses_of_a_totp_step_have_exactly_one_winner,
    concurrency::fifty_concurrent_uses_of_a_recovery_code_have_exactly_one_winner,
    mfa::a_tenants_policy_round_trips_and_unknown_tenants_are_not_found,
    mfa::a_pending_factor_is_replaced_and_confirming_makes_it_the_only_active_one,
    mfa::the_login_lookup_carries_the_policy_and_the_active_factor_alone,
    mfa::a_step_is_used_once_and_only_upwards,
    mfa::recovery_codes_are_used_once_and_a_new_batch_voids_the_old,
    mfa::second_factor_failures_count_apart_from_passwords_and_removal_clears_all,
    mfa::an_enrollment_token_is_spent_once_and_forgotten_after_it_expires,
    concurrency::fifty_concurrent_spends_of_an_enrollment_token_have_exactly_one_winner,
    traqs::traqs_credentials_round_trip_per_environment_and_are_replaced_whole,
    traqs::traqs_credentials_ending_before_a_time_are_listed_soonest_first,
    upstream_tokens::upstream_tokens_are_shared_under_one_lock_per_tenant_where_the_backend_shares,
}
