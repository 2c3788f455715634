import Foundation

/// Finds the project's `sql/` directory (migrations and seed) at run time.
///
/// Order: `VERBINDER_SQL_DIR`; `<prefix>/share/verbinder/sql` next to an installed binary;
/// a `sql/` directory in the executable's directory or any parent (a checkout with
/// `.build/release/verbinderd`); `./sql`.
public enum SQLFiles {
    public static func locate(explicit: String? = nil) throws -> String {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        if let env = ProcessInfo.processInfo.environment["VERBINDER_SQL_DIR"] { candidates.append(env) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let exeDir = executable.deletingLastPathComponent()
        candidates.append(exeDir.deletingLastPathComponent().appendingPathComponent("share/verbinder/sql").path)
        var directory = exeDir
        for _ in 0..<6 {
            candidates.append(directory.appendingPathComponent("sql").path)
            directory = directory.deletingLastPathComponent()
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/sql")
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate + "/migrations") {
            return candidate
        }
        throw StoreError.invalidSetup("no sql/ directory with migrations found (set VERBINDER_SQL_DIR); looked in: \(candidates.joined(separator: ", "))")
    }
}
