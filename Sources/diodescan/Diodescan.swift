import ArgumentParser
import DiodeScan
import Foundation

/// The command-line program. Subcommands: `point` (one parameter point);
/// the scan engine and the benchmark add theirs to `subcommands`.
@main
struct Diodescan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diodescan",
        abstract: "Thermal and thermoelectric rectification of a two-barrier conductor with a Büttiker probe.",
        discussion: """
            Units: k_B = h = e = 1, energies in k_B T, temperatures in T (the base temperature).
            See docs/physics.md for the model and its conventions.
            """,
        // The build target matters for speed (scripts/build-flags.sh).
        version: "diodescan \(BuildInfo.version), built for \(BuildInfo.targetCPU)",
        subcommands: [
            PointCommand.self,
            ScanCommand.self,
            BenchCommand.self,
            SpectrumCommand.self,
        ]
    )

    /// Runs the command line. Help and the commands' own exit statuses pass
    /// through unchanged; a command line the parser or a `validate()`
    /// rejects (swift-argument-parser: exit 64 and the usage) is one line on
    /// stderr and exit status 2, as for every other rejected input.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if let line = usageErrorLine(for: error) {
                FileHandle.standardError.write(Data((line + "\n").utf8))
                Foundation.exit(ScanExitStatus.rejected)
            }
            exit(withError: error)
        }
    }

    /// The one-line message for a rejected command line, or nil for
    /// anything else (help, exit statuses, run-time errors).
    static func usageErrorLine(for error: Error) -> String? {
        guard !(error is ExitCode), exitCode(for: error) == .validationFailure else { return nil }
        var message = message(for: error).split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; ")
        if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
        if message.count > 300 { message = String(message.prefix(300)) + "…" }
        return "error: " + (message.isEmpty ? "invalid command line; see diodescan --help" : message)
    }
}
