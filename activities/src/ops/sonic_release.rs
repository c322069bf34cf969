//! Which SONiC release a device runs, as its CONFIG_DB says: the schema
//! version `VERSIONS|DATABASE` that SONiC's db_migrator (sonic-utilities
//! `scripts/db_migrator.py`) leaves at boot, `version_<YYYYMM>_<NN>` since
//! 202305 (`version_202305_01`, `version_202411_02`, `version_202511_01`);
//! before that `version_<major>_<minor>_<patch>` (up to 4.0.x, which early
//! 202305 images still carry). Operations that choose or refuse a field by
//! release ask here, and the plan says what they read.
//!
//! Must never: plan a change.

use super::plan::View;

/// The row that carries the schema version.
pub(crate) const KEY: &str = "VERSIONS|DATABASE";

/// The release as a number, YYYYMM (202305, 202411), with the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SonicRelease {
    /// The release; for the old numbering, 202305, the last release that
    /// used it (so "older than X" still holds for X after 202305).
    pub(crate) at_most: u32,
    /// What the device said, for the plan's note and refusals.
    pub(crate) evidence: String,
}

impl SonicRelease {
    /// The release in words: "202411" or "202305 or older".
    pub(crate) fn name(&self) -> String {
        if self.evidence.contains(&format!("version_{}_", self.at_most)) {
            self.at_most.to_string()
        } else {
            format!("{} or older", self.at_most)
        }
    }
}

/// The device's release, if its CONFIG_DB names one.
pub(crate) fn of(view: &View) -> Option<SonicRelease> {
    let version = view.row(KEY)?.get("VERSION")?;
    let parts: Vec<&str> = version.strip_prefix("version_")?.split('_').collect();
    let at_most = match parts.as_slice() {
        [release, _] if release.len() == 6 => release.parse().ok()?,
        [major, _, _] if major.parse::<u32>().is_ok_and(|m| m <= 4) => 202305,
        _ => return None,
    };
    Some(SonicRelease { at_most, evidence: format!("{KEY} VERSION={version}") })
}

/// Whether a field that SONiC `since` (YYYYMM) has exists on the device:
/// Ok with what the plan should say, or Err with the reason it does not.
/// A device whose release cannot be read is taken at its word (the field
/// is written) and the note says so.
pub(crate) fn has(view: &View, what: &str, since: u32) -> Result<String, String> {
    match of(view) {
        Some(r) if r.at_most < since => Err(format!(
            "{what} exists from SONiC {since}; this device runs {} ({}), whose YANG models refuse it", r.name(), r.evidence)),
        Some(r) => Ok(format!("SONiC {} ({}): {what} exists from {since}", r.name(), r.evidence)),
        None => Ok(format!("SONiC release not recorded ({KEY} has no version_<release>_<n>): {what} written as for {since} and later")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::rows;

    fn release(version: &str) -> Option<SonicRelease> {
        of(&View::new(rows(&[(KEY, &[("VERSION", version)])])))
    }

    #[test]
    fn the_schema_version_names_the_release() {
        // sonic-utilities db_migrator.py CURRENT_VERSION per branch.
        assert_eq!(release("version_202305_01").unwrap().at_most, 202305);
        assert_eq!(release("version_202411_02").unwrap().name(), "202411");
        assert_eq!(release("version_202511_01").unwrap().at_most, 202511);
        let old = release("version_4_0_3").unwrap();
        assert_eq!((old.at_most, old.name().as_str()), (202305, "202305 or older"));
        assert_eq!(release("version_1_0_1").unwrap().at_most, 202305);
        assert_eq!(release("version_9_0_0"), None);
        assert_eq!(release("banana"), None);
        assert_eq!(of(&View::new(rows(&[]))), None);
    }

    #[test]
    fn a_field_exists_from_its_release() {
        let on = |v: &str| View::new(rows(&[(KEY, &[("VERSION", v)])]));
        let err = has(&on("version_202305_01"), "PORT mode", 202405).unwrap_err();
        assert!(err.contains("PORT mode exists from SONiC 202405; this device runs 202305 (VERSIONS|DATABASE VERSION=version_202305_01)"), "{err}");
        assert!(has(&on("version_202411_02"), "PORT mode", 202405).unwrap().starts_with("SONiC 202411 (VERSIONS|DATABASE VERSION=version_202411_02)"));
        assert!(has(&View::new(rows(&[])), "PORT mode", 202405).unwrap().contains("not recorded"));
    }
}
