import Foundation
import Logging

/// Keeps the SQLite database private to the account that runs Tessera: it holds the signing keys'
/// private JWKs, so any account that can read it can forge tokens.
///
/// A folder Tessera creates is 0700, a database file 0600 (SQLite gives the `-wal` and `-shm`
/// files it creates the database file's mode). Database files found looser are narrowed to 0600
/// with a warning. An existing folder open to others is only warned about: it is the operator's and
/// may be shared (the database files in it are private all the same).
enum SQLiteFilePermissions {
    static let companions = ["", "-wal", "-shm", "-journal"]

    static func prepare(path: String, logger: Logger) throws {
        let files = FileManager.default
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !files.fileExists(atPath: directory) {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } else if let mode = mode(of: directory), mode & 0o077 != 0 {
            logger.warning(
                "the folder holding the database (and its signing keys) is open to other accounts: make it private with chmod 700",
                metadata: ["tessera.path": "\(directory)", "tessera.mode": "\(String(mode, radix: 8))"]
            )
        }
        if !files.fileExists(atPath: path) {
            guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StorageError(.unavailable, "cannot create the SQLite database at \(path)")
            }
        }
        for suffix in companions {
            let file = path + suffix
            guard let mode = mode(of: file), mode & 0o077 != 0 else { continue }
            try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            logger.warning(
                "narrowed \(file) to mode 600: it was readable by other accounts (mode \(String(mode, radix: 8))) and holds the signing keys"
            )
        }
    }

    private static func mode(of path: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return (attributes[.posixPermissions] as? Int).map { $0 & 0o777 }
    }
}
