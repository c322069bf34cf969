//! Test certificates made with openssl: a CA, a server's and a client's
//! certificate, one from another CA, one expired. For the tests of
//! switchyard on a secured Temporal and of the service over HTTPS.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A CA, the frontend's certificate, a client's (valid and expired), and
/// a CA that signed none of them.
pub struct Certs {
    /// Where the files are.
    pub dir: PathBuf,
}

impl Certs {
    /// Makes every file in `dir`: ca.pem/key, other-ca.pem/key,
    /// server.pem/key and client.pem/key (signed by ca, for localhost and
    /// 127.0.0.1), and expired.pem (client.key's, expired in 2020).
    pub fn make(dir: &Path) -> Self {
        std::fs::create_dir_all(dir.join("newcerts")).unwrap();
        let run = |args: &[&str]| openssl(dir, args);
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        for ca in ["ca", "other-ca"] {
            run(&[&["req", "-x509"][..], &key, &["-keyout", &format!("{ca}.key"), "-out", &format!("{ca}.pem"), "-days", "2", "-subj", &format!("/CN={ca}")]].concat());
        }
        std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
        for name in ["server", "client"] {
            run(&[&["req"][..], &key, &["-keyout", &format!("{name}.key"), "-out", &format!("{name}.csr"), "-subj", &format!("/CN={name}")]].concat());
            run(&["x509", "-req", "-in", &format!("{name}.csr"), "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", "san.ext", "-out", &format!("{name}.pem")]);
        }
        // An expired client certificate from the same CA: `openssl ca`
        // takes explicit dates.
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        std::fs::write(dir.join("ca.cnf"), "[ca]\ndefault_ca=t\n[t]\ndatabase=index.txt\nnew_certs_dir=newcerts\nserial=serial\ndefault_md=sha256\npolicy=any\n[any]\ncommonName=supplied\n").unwrap();
        run(&["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "client.csr", "-out", "expired.pem",
            "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext"]);
        Self { dir: dir.to_path_buf() }
    }

    /// A new certificate and key `name`.pem/.key for localhost and
    /// 127.0.0.1 with common name `cn`, signed by `ca` (ca or other-ca).
    pub fn issue(&self, name: &str, cn: &str, ca: &str) {
        let run = |args: &[&str]| openssl(&self.dir, args);
        run(&["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", &format!("{name}.key"), "-out", &format!("{name}.csr"), "-subj", &format!("/CN={cn}")]);
        run(&["x509", "-req", "-in", &format!("{name}.csr"), "-CA", &format!("{ca}.pem"), "-CAkey", &format!("{ca}.key"), "-CAcreateserial", "-days", "2",
            "-extfile", "san.ext", "-out", &format!("{name}.pem")]);
    }

    /// The path of one of the files.
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl (lab/tools.txt installs it; run the tests with tests/run.sh)");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}
