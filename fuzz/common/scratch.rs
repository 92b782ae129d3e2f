//! A scratch folder for a fuzz target's store: in memory (`/dev/shm`) where there is one, so
//! millions of runs do not wear a disk, else the system's temporary folder.

pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    };
    dir.expect("a temporary directory")
}
