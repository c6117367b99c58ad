import ArgumentParser

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
        subcommands: [
            PointCommand.self,
            ScanCommand.self,
            BenchCommand.self,
            SpectrumCommand.self,
        ]
    )
}
