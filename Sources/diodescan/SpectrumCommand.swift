import ArgumentParser
import DiodePhysics
import DiodeScan
import Foundation

/// `diodescan spectrum`: the energy-resolved transmissions, spectral currents
/// and (with screening) injectivities of one parameter point, at the
/// self-consistent forward and backward solutions and at equilibrium
/// (paper Fig. 3(e)).
struct SpectrumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectrum",
        abstract: "Transmissions, spectral currents and injectivities of one point over energy (F, B, equilibrium).",
        discussion: """
            Takes the model flags of `point`, solves F and B as `point` does, and evaluates at \
            --count equally spaced energies from --emin to --emax (default: the union of the \
            current integration windows of F and B, [min(mu, mu_p) - 40 T_w, max(mu, mu_p) + 40 T_w]): \
            T_LR, T_Lp, T_Rp at the solved U and at U = 0 (equilibrium), the spectral particle \
            currents of L, R, p and the spectral heat currents (E - mu_j) x those, and with \
            --screening the injectivities nu_j,alpha. A uniform grid does not resolve the \
            sharpest Fabry-Perot states (widths down to ~1e-3 k_B T): narrow --emin/--emax or \
            raise --count to look at them, or add --features (nodes on every resonance and \
            Fabry-Perot state, so the grid is no longer uniform).

            Output: a table on stdout (default), one JSON object (--json: point's JSON plus \
            "energy" and "spectra"), and/or an HDF5 file (--output; an existing file is only \
            replaced with --overwrite). See README.md and docs/physics.md §10.

            Example (the paper's Fig. 3(e) point):
              diodescan spectrum --eps1 46.648 --eps3 48.2 --gamma 1 --screening --emin 30 --emax 60 --count 3001 --output star.h5

            Exit status: 0 done; 1 a configuration did not converge (its spectra are NaN) or \
            the file could not be written; 2 invalid input (one line naming the flag) or an \
            existing --output without --overwrite.
            """)

    /// The model flags and their validation: exactly `point`'s.
    @OptionGroup var model: ModelOptions
    @Flag(help: "Print exactly one JSON object on stdout.")
    var json = false
    @Flag(help: "Also report the reference currents: linear response I_lin, J_lin and the equilibrium-transmission currents I_eqT, J_eqT (docs/physics.md §10).")
    var reference = false

    @Option(parsing: .unconditional, help: "Lowest energy of the grid (k_B T, absolute, in [-1e6, 1e6]; default: the window's lower edge).")
    var emin: Double?
    @Option(parsing: .unconditional, help: "Highest energy of the grid (k_B T, absolute, in [-1e6, 1e6]; default: the window's upper edge).")
    var emax: Double?
    @Option(parsing: .unconditional, help: "Number of equally spaced energies, in [2, \(SpectrumCommand.maximumCount)].")
    var count: Int = 4001
    @Flag(help: "Add nodes at the sharp features (resonances, Fabry-Perot states and their half-maximum points, band bottom, Fermi edges) to the uniform grid.")
    var features = false
    @Option(help: ArgumentHelp("Also write the spectra to this HDF5 file.", valueName: "path"))
    var output: String?
    @Flag(help: "Replace an existing --output file.")
    var overwrite = false

    static let maximumCount = 200_000
    /// |--emin|, |--emax| ≤ 1e6 k_B T (the features search walks the Fabry-Perot states up to there).
    static let energyBound = 1e6

    func run() throws {
        let (parameters, solver) = try model.validatedInput()
        do {
            guard (2...Self.maximumCount).contains(count) else {
                throw PointInputError("--count must be an integer in [2, \(Self.maximumCount)] (got \(count))")
            }
            for (flag, value) in [("emin", emin), ("emax", emax)] {
                if let value, !(abs(value) <= Self.energyBound) {
                    throw PointInputError("--\(flag) must be a number in [-1e6, 1e6] (got \(value))")
                }
            }
            if let emin, let emax, !(emin < emax) {
                throw PointInputError("--emin must be < --emax (got \(emin) and \(emax))")
            }
            if overwrite && output == nil { throw PointInputError("--overwrite needs --output") }
            if let output {
                let directory = (output as NSString).deletingLastPathComponent
                var isDirectory: ObjCBool = false
                if output.isEmpty || (!directory.isEmpty
                    && !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue)) {
                    throw PointInputError("--output must be a file in an existing directory (got \(output))")
                }
            }
            if let output, !overwrite, FileManager.default.fileExists(atPath: output) {
                throw PointInputError("--output \(output) exists (use --overwrite to replace it)")
            }
        } catch let error as PointInputError {
            printError(error.message)
            throw ExitCode(2)
        }
        let deltaT = model.deltaT
        let result = solver.solvePoint(deltaT: deltaT)
        let window = PointSpectrum.defaultRange(parameters: parameters, deltaT: deltaT, result: result)
        let lower = emin ?? Swift.min(window.lower, (emax ?? window.upper) - 1)
        let upper = emax ?? Swift.max(window.upper, lower + 1)
        var energies = DeviceSpectrum.uniformEnergies(from: lower, to: upper, count: count)
        if features {
            energies = PointSpectrum.merge(energies, PointSpectrum.featureEnergies(
                parameters: parameters, deltaT: deltaT, result: result, in: lower...upper))
        }
        let references = reference
            ? PointReport.references(solver: solver, deltaT: deltaT, result: result) : nil
        let spectrum = PointSpectrum(parameters: parameters, deltaT: deltaT, energies: energies, result: result,
                                     references: references)
        if let output {
            do {
                try SpectrumFile.write(spectrum, to: output, overwrite: overwrite,
                                       commandLine: CommandLine.arguments.joined(separator: " "))
            } catch let error as SpectrumFileError {
                printError(error.description)
                throw ExitCode(2)
            } catch {
                printError("cannot write \(output): \(error)")
                throw ExitCode(1)
            }
        }
        if json {
            print(SpectrumReport.json(spectrum, hasProbe: solver.hasProbe))
        } else if output == nil {
            print(SpectrumReport.table(spectrum, hasProbe: solver.hasProbe))
        }
        let failed = [result.forward.status, result.backward.status].contains { $0 != .converged }
        if failed { throw ExitCode(1) }
    }
}

/// Formatting of a spectrum (JSON, and a whitespace-separated table).
enum SpectrumReport {
    static func array(_ values: [Double]) -> String {
        "[" + values.map(PointReport.number).joined(separator: ", ") + "]"
    }

    static func regionArray(_ values: [SIMD3<Double>]) -> String {
        "[" + values.map { "[\(PointReport.number($0[0])), \(PointReport.number($0[1])), \(PointReport.number($0[2]))]" }
            .joined(separator: ", ") + "]"
    }

    static func series(_ values: [SpectralValues], currents: Bool, screening: Bool) -> String {
        var fields = [
            "\"T_LR\": \(array(values.map(\.transmissions.leftRight)))",
            "\"T_Lp\": \(array(values.map(\.transmissions.leftProbe)))",
            "\"T_Rp\": \(array(values.map(\.transmissions.rightProbe)))",
        ]
        if currents {
            for (index, terminal) in ["L", "R", "p"].enumerated() {
                fields.append("\"spectral_I_\(terminal)\": \(array(values.map { $0.particle[index] }))")
                fields.append("\"spectral_J_\(terminal)\": \(array(values.map { $0.heat[index] }))")
            }
        }
        if screening {
            let nan = SIMD3<Double>(repeating: .nan)
            fields.append("\"nu_L\": \(regionArray(values.map { $0.injectivities?.left ?? nan }))")
            fields.append("\"nu_R\": \(regionArray(values.map { $0.injectivities?.right ?? nan }))")
            fields.append("\"nu_p\": \(regionArray(values.map { $0.injectivities?.probe ?? nan }))")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// `point --json`'s object (with --reference its fields) plus "energy"
    /// and "spectra": {"equilibrium", "forward", "backward"}.
    static func json(_ s: PointSpectrum, hasProbe: Bool) -> String {
        let point = PointReport.json(parameters: s.parameters, deltaT: s.deltaT, result: s.result,
                                     hasProbe: hasProbe, references: s.references)
        let screening = s.parameters.screening
        let spectra = "{\"equilibrium\": \(series(s.equilibrium, currents: false, screening: screening)), "
            + "\"forward\": \(series(s.forward, currents: true, screening: screening)), "
            + "\"backward\": \(series(s.backward, currents: true, screening: screening))}"
        return String(point.dropLast()) + ", \"energy\": \(array(s.energies)), \"spectra\": \(spectra)}"
    }

    /// A table for plotting tools: '#' header lines, then one row per energy.
    static func table(_ s: PointSpectrum, hasProbe: Bool) -> String {
        var lines = PointReport.text(parameters: s.parameters, deltaT: s.deltaT, result: s.result,
                                     hasProbe: hasProbe, references: s.references)
            .split(separator: "\n", omittingEmptySubsequences: false).map { "# " + $0 }
        lines.append("# spectral currents out of L: I_L = 2[T_LR(f_L - f_R) + T_Lp(f_L - f_p)] [1/h], "
                     + "J_L = (E - mu) I_L [k_B T/h]")
        lines.append("# E  T_LR_eq  T_Lp_eq  T_Rp_eq  T_LR_F  T_Lp_F  T_Rp_F  I_L_F  J_L_F  "
                     + "T_LR_B  T_Lp_B  T_Rp_B  I_L_B  J_L_B")
        for index in s.energies.indices {
            let eq = s.equilibrium[index], f = s.forward[index], b = s.backward[index]
            let row = [s.energies[index],
                       eq.transmissions.leftRight, eq.transmissions.leftProbe, eq.transmissions.rightProbe,
                       f.transmissions.leftRight, f.transmissions.leftProbe, f.transmissions.rightProbe,
                       f.particle[0], f.heat[0],
                       b.transmissions.leftRight, b.transmissions.leftProbe, b.transmissions.rightProbe,
                       b.particle[0], b.heat[0]]
            lines.append(row.map { "\($0)" }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
