//! CTS's run variables ([`super::RUN_VARIABLES`]): the value each has in a run, and why a
//! run cannot give one a true value (a case that refers to it is then ignored with the
//! reason instead of run on a made-up value). The session asks through
//! [`super::Service::run_variables`] and [`super::Service::unavailable`].

use super::service::{PoolSource, RunFacts};

/// The run variables every case starts with (a case's leased `${data_bucket}` is added
/// when it starts).
pub fn values(run: &RunFacts) -> Vec<(String, String)> {
    let mut values = vec![
        ("project_id".to_string(), run.project_id.clone()),
        ("other_project_id".to_string(), run.other_project_id.clone()),
        ("run_id".to_string(), run.run_id.clone()),
        (
            "absent_bucket".to_string(),
            format!("{}-absent", run.prefix),
        ),
        ("prefix".to_string(), run.prefix.clone()),
        ("bucket_3".to_string(), "a0a".to_string()),
    ];
    if let Some(obs) = &run.obs_bucket {
        values.push(("obs_bucket".to_string(), obs.clone()));
    }
    values
}

/// Why this run cannot give `variable` a true value, if it cannot.
pub fn unavailable(variable: &str, run: &RunFacts) -> Option<String> {
    match variable {
        "other_project_id" if run.anonymous => Some(
            "needs credentials: another project is refused only to credentials that \
             belong to one (pass --ak/--sk or --token)"
                .into(),
        ),
        "data_bucket" if !run.has_data_bucket => Some(match run.pool {
            PoolSource::Missing => "needs an existing OBS bucket to track: pass \
                --data-bucket BUCKET (repeatable; one per parallel case is best)"
                .into(),
            _ => "every --data-bucket is already tracked by a tracker this run did not \
                create (see the warning before the first case)"
                .into(),
        }),
        "obs_bucket" if run.obs_bucket.is_none() => Some(
            "needs an existing OBS bucket to transfer traces to: pass --obs-bucket BUCKET".into(),
        ),
        "absent_bucket" if run.pool != PoolSource::Given => Some(
            "needs to know which buckets exist: pass --data-bucket (a target without it \
             is assumed to accept any valid bucket name)"
                .into(),
        ),
        "bucket_3" if !run.loopback => Some(
            "a 3-character bucket name belongs to some account (OBS names are global), \
             so its answer proves nothing here; this boundary is checked on loopback targets"
                .into(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pool: PoolSource) -> RunFacts {
        RunFacts {
            project_id: "p".into(),
            other_project_id: "o".into(),
            run_id: "0123abcd".into(),
            prefix: "cc-0123abcd".into(),
            has_data_bucket: true,
            obs_bucket: None,
            pool,
            anonymous: false,
            loopback: true,
        }
    }

    #[test]
    fn every_run_variable_has_a_value_or_a_reason() {
        let given = run(PoolSource::Given);
        let values = values(&given);
        for name in super::super::RUN_VARIABLES {
            let valued = values.iter().any(|(n, _)| n == name);
            // The leased bucket comes with each case's lease.
            let leased = name == "data_bucket";
            assert!(
                valued || leased || unavailable(name, &given).is_some(),
                "{name}"
            );
        }
        assert!(values.contains(&("absent_bucket".into(), "cc-0123abcd-absent".into())));
        assert!(unavailable("absent_bucket", &run(PoolSource::MadeUp)).is_some());
        assert!(unavailable("absent_bucket", &given).is_none());
    }
}
