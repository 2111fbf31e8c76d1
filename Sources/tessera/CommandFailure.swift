/// A failure that is not CLI misuse — a bad configuration file, an unreadable input — so it prints
/// as `Error: <message>` alone and exits with status 1. ArgumentParser prints its usage text and
/// "See 'tessera --help'" after a `ValidationError` (and exits 64), which would send an operator
/// looking for a wrong flag when the fix is in the configuration.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
