import DiodeHDF5
import DiodePhysics
import DiodeTestSupport
import Foundation
import Testing

@testable import DiodeScan

/// General scan axes (docs/jobs.md, "Axes"): every parameter of the table as
/// an axis, the rotated coordinates, the rules that refuse a parameter given
/// twice or not at all, the fingerprint, and N-dimensional result files.
@Suite struct ScanAxesTests {
    // MARK: Numbers

    /// The fixed values every job below starts from (λ = 1 without
    /// screening: cheap closed forms with a probe solved by Newton).
    static let base: [(String, Double)] = [
        ("mu", 40), ("gamma", 3), ("lambda", 1), ("eps1", 45), ("eps3", 44.8), ("dT", 1),
    ]

    /// Three values of each axis key, exactly representable.
    static let axisValues: [String: [Double]] = [
        "eps1": [44, 45, 46.5], "eps3": [43, 44.75, 46], "dT": [0.5, 1, 1.5], "gamma": [1, 2, 3],
        "gamma1": [1, 2, 3], "gamma3": [1, 2, 3], "mu": [39, 40, 41.5], "lambda": [0, 0.5, 1],
        "d": [0.5, 1, 2], "c12": [0, 0.5, 1], "c13": [0, 0.5, 1], "c23": [0, 0.5, 1], "c1g": [0, 0.5, 1],
        "c2g": [0, 0.5, 1], "c3g": [0, 0.5, 1], "detuning": [-2, 0, 1.5], "asymmetry": [-2, 0, 1.5],
    ]

    /// A job with `axes` (innermost first) and the base values fixed, except
    /// those the axes replace: gamma for a width axis, eps1/eps3 for a
    /// rotated one (the other rotated coordinate then fixed at 0.5).
    static func jobText(axes: [(String, [Double])], screening: Bool = false) -> String {
        let keys = Set(axes.map(\.0))
        var fixed = base
        if !keys.isDisjoint(with: ["gamma1", "gamma3"]) {
            fixed.removeAll { $0.0 == "gamma" }
            for width in ["gamma1", "gamma3"] where !keys.contains(width) { fixed.append((width, 3)) }
        }
        if !keys.isDisjoint(with: ["detuning", "asymmetry"]) {
            fixed.removeAll { $0.0 == "eps1" || $0.0 == "eps3" }
            for rotated in ["detuning", "asymmetry"] where !keys.contains(rotated) { fixed.append((rotated, 0.5)) }
        }
        fixed.removeAll { keys.contains($0.0) }
        var lines = ["[model]"] + fixed.map { "\($0.0) = \($0.1)" }
        if screening { lines.append("screening = true") }
        lines.append("[grid]")
        lines += axes.map { key, values in "\(key) = [\(values.map { "\($0)" }.joined(separator: ", "))]" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The device and ΔT at `values` (every key of the job), built by hand,
    /// not through the job layer's mapping.
    static func device(_ values: [String: Double], screening: Bool) -> (DeviceParameters, Double) {
        let mu = values["mu"] ?? 40
        let eps1 = values["eps1"] ?? ((mu + values["detuning"]!) + values["asymmetry"]!)
        let eps3 = values["eps3"] ?? ((mu + values["detuning"]!) - values["asymmetry"]!)
        let c = Capacitances(c12: values["c12"] ?? 0, c13: values["c13"] ?? 0, c23: values["c23"] ?? 0,
                             c1g: values["c1g"] ?? 0, c2g: values["c2g"] ?? 0, c3g: values["c3g"] ?? 0)
        let parameters = DeviceParameters(
            eps1: eps1, eps3: eps3, gamma1: values["gamma1"] ?? values["gamma"]!, gamma3: values["gamma3"] ?? values["gamma"]!,
            mu: mu, lambda: values["lambda"] ?? 0, d: values["d"] ?? 1, screening: screening, capacitances: c)
        return (parameters, values["dT"]!)
    }

    /// Every stored field of one point, bitwise (`PhysicsTileEvaluator.store` for converged points).
    static func expectSame(_ point: PointResult, _ tile: TileValues, at i: Int, _ label: String) {
        #expect(point.forward.status == .converged && point.backward.status == .converged, "\(label)")
        let pairs: [(TileValues.DoubleField, Double)] = [
            (.iF, point.forward.particleCurrent), (.iB, point.backward.particleCurrent),
            (.jF, point.forward.heatCurrent), (.jB, point.backward.heatCurrent),
            (.rI, point.rectificationI), (.rJ, point.rectificationJ),
            (.muPF, point.forward.state.muP), (.muPB, point.backward.state.muP),
            (.tPF, point.forward.state.tP), (.tPB, point.backward.state.tP),
        ]
        for (field, value) in pairs {
            #expect(tile[field, i].bitPattern == value.bitPattern, "\(label): \(field) \(tile[field, i]) vs \(value)")
        }
        for region in 0..<3 {
            #expect(tile[.uF, 3 * i + region].bitPattern == point.forward.state.u[region].bitPattern, "\(label): U_F")
            #expect(tile[.uB, 3 * i + region].bitPattern == point.backward.state.u[region].bitPattern, "\(label): U_B")
        }
        #expect(tile[.iterationsF, i] == Int32(point.forward.iterations), "\(label): iterations_F")
        #expect(tile[.iterationsB, i] == Int32(point.backward.iterations), "\(label): iterations_B")
    }

    static func fixedValues(of job: ScanJob) -> [String: Double] {
        var values: [String: Double] = ["mu": job.model.mu, "lambda": job.model.lambda, "d": job.model.d,
                                        "gamma1": job.model.gamma1, "gamma3": job.model.gamma3]
        for parameter in ModelParameter.capacitances { values[parameter.key] = job.model[parameter] }
        for (key, value) in job.fixedCoordinates { values[key] = value }
        return values
    }

    static let capacitanceKeys = Set(ModelParameter.capacitances.map(\.key))

    /// The key as the outer axis (the inner one has one value, so every
    /// point is a tile of its own, solved cold): each point equals
    /// `diodescan point` at those parameters (`DiodeSolver.solvePoint`; with
    /// screening the branch check a scan makes, without the point command's
    /// search for a second solution).
    @Test(arguments: ModelParameter.axisParameters.map(\.key))
    func outerAxisEqualsPointAtEachValue(key: String) throws {
        let screening = Self.capacitanceKeys.contains(key)
        let inner = key == "d" ? "lambda" : "d"
        let innerValue = 1.0  // d = 1 or lambda = 1: the base model's own value
        let text = Self.jobText(axes: [(inner, [innerValue]), (key, Self.axisValues[key]!)], screening: screening)
        let job = try ResolvedJob(ScanJob(parsing: text))
        let evaluator = PhysicsTileEvaluator(job: job)
        #expect(job.grid.tileCount == 3)
        for (tile, value) in Self.axisValues[key]!.enumerated() {
            let values = try #require(evaluator.evaluate(tile: tile, stop: StopFlag()))
            var coordinates = Self.fixedValues(of: job.job)
            coordinates[key] = value
            coordinates[inner] = innerValue
            if key == "gamma" { (coordinates["gamma1"], coordinates["gamma3"]) = (value, value) }
            let (parameters, deltaT) = Self.device(coordinates, screening: screening)
            let solver = try DiodeSolver(parameters: parameters, settings: job.settings)
            let point: PointResult
            if screening {
                var continuation = DiodeSolver.Continuation()
                let solved = solver.solvePoint(deltaT: deltaT, continuation: &continuation)
                point = solver.checkedBranch(deltaT: deltaT, point: solved, searching: false).point
            } else {
                point = solver.solvePoint(deltaT: deltaT)
            }
            Self.expectSame(point, values, at: 0, "\(key) = \(value)")
        }
    }

    /// The key as the innermost axis: the tile continues along it, point by
    /// point, exactly as a caller of `DiodeSolver.Continuation` would at
    /// those parameters (no screening: no branch checks).
    @Test(arguments: ModelParameter.axisParameters.map(\.key).filter { !capacitanceKeys.contains($0) })
    func innerAxisContinuesAlongItsValues(key: String) throws {
        let outer = key == "d" ? "lambda" : "d"
        let outerValues = outer == "d" ? [1.0, 2.0] : [0.5, 1.0]
        let text = Self.jobText(axes: [(key, Self.axisValues[key]!), (outer, outerValues)])
        let job = try ResolvedJob(ScanJob(parsing: text))
        let evaluator = PhysicsTileEvaluator(job: job)
        for (tile, outerValue) in outerValues.enumerated() {
            let values = try #require(evaluator.evaluate(tile: tile, stop: StopFlag()))
            var continuation = DiodeSolver.Continuation()
            for (i, value) in Self.axisValues[key]!.enumerated() {
                var coordinates = Self.fixedValues(of: job.job)
                coordinates[key] = value
                coordinates[outer] = outerValue
                if key == "gamma" { (coordinates["gamma1"], coordinates["gamma3"]) = (value, value) }
                let (parameters, deltaT) = Self.device(coordinates, screening: false)
                let solver = try DiodeSolver(parameters: parameters, settings: job.settings)
                let point = solver.solvePoint(deltaT: deltaT, continuation: &continuation)
                Self.expectSame(point, values, at: i, "\(key) = \(value), \(outer) = \(outerValue)")
            }
        }
    }

    /// The λ = 0 and λ = 1 ends of a λ axis (outermost, with screening) are
    /// the Fig. 3 and Fig. 4 scans of the same ε1 × ε3 grid: the tiles are
    /// the same ε1 lines, so the values are bit-identical.
    @Test func lambdaAxisEndsEqualTheFig3AndFig4Jobs() throws {
        let grid = "eps1 = [46.0, 46.5, 47.0]\neps3 = [47.7, 48.2]\n"
        let model = "[model]\nmu = 40.0\ngamma = 1.0\nd = 1.0\nscreening = true\n"
        let axis = try ResolvedJob(ScanJob(parsing: model + "dT = 1.0\n[grid]\n" + grid + "lambda = [0.0, 1.0]\n"))
        #expect(axis.grid.axes.outerShape == [2, 2])
        let axisEvaluator = PhysicsTileEvaluator(job: axis)
        for (index, lambda) in [0.0, 1.0].enumerated() {
            let paper = try ResolvedJob(ScanJob(parsing: model + "lambda = \(lambda)\n[grid]\n" + grid + "dT = [1.0]\n"))
            let paperEvaluator = PhysicsTileEvaluator(job: paper)
            for eps3 in 0..<2 {
                let expected = try #require(paperEvaluator.evaluate(tile: eps3, stop: StopFlag()))
                let tile = axis.grid.axes.tileNumber(TileIndex([index, eps3]))
                let values = try #require(axisEvaluator.evaluate(tile: tile, stop: StopFlag()))
                #expect(values.isBitwiseEqual(to: expected), "lambda = \(lambda), eps3 #\(eps3)")
            }
        }
    }

    /// On the antisymmetric line (detuning = 0) a point at asymmetry a is
    /// the point ε1 = μ + a, ε3 = μ − a of an eps1/eps3 job (one-point tiles,
    /// values chosen so that μ ± a is exact).
    @Test func rotatedAxesEqualEps1Eps3AtTheMappedValues() throws {
        let model = "[model]\nmu = 40.0\ngamma = 3.0\nlambda = 1.0\ndT = 1.0\n"
        let asymmetries = [-6.5, -2.0, 0.25, 4.8125]
        let rotated = try ResolvedJob(ScanJob(parsing: model + "[grid]\ndetuning = [0.0]\nasymmetry = \(asymmetries)\n"))
        let rotatedEvaluator = PhysicsTileEvaluator(job: rotated)
        for (tile, a) in asymmetries.enumerated() {
            let plain = try ResolvedJob(ScanJob(parsing: model + "[grid]\neps1 = [\(40 + a)]\neps3 = [\(40 - a)]\n"))
            let expected = try #require(PhysicsTileEvaluator(job: plain).evaluate(tile: 0, stop: StopFlag()))
            let values = try #require(rotatedEvaluator.evaluate(tile: tile, stop: StopFlag()))
            #expect(values.isBitwiseEqual(to: expected), "asymmetry = \(a)")
        }
        // The mapping itself, off the line too.
        let general = try ResolvedJob(ScanJob(parsing: model + "[grid]\nasymmetry = [1.5]\ndetuning = [-2.0, 0.5]\n"))
        let (p, _) = general.mapping.point(at: [1, 0])
        #expect(p.eps1 == 42 && p.eps3 == 39)
    }

    // MARK: Job rules

    static func rejects(_ text: String, key: String, mentioning fragments: [String]) {
        do {
            _ = try ResolvedJob(ScanJob(parsing: text))
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.key == key, "\(error)")
            for fragment in fragments { #expect(error.description.contains(fragment), "'\(error)' lacks '\(fragment)'") }
        }
    }

    @Test func aParameterIsFixedOrAnAxisNeverBoth() {
        Self.rejects("[model]\ngamma = 1\nlambda = 0.5\ndT = 1\n[grid]\neps1 = [40]\neps3 = [40]\nlambda = [0, 1]\n",
                     key: "model.lambda", mentioning: ["model.lambda and grid.lambda are both set", "not both"])
        Self.rejects("[model]\ngamma = 1\nscreening = true\n[model.capacitances]\nc12 = 1\n[grid]\neps1 = [40]\neps3 = [40]\ndT = [1]\nc12 = [0, 1]\n",
                     key: "model.capacitances.c12", mentioning: ["model.capacitances.c12 and grid.c12 are both set"])
        Self.rejects("[model]\ngamma = 1\neps3 = 40\n[grid]\neps1 = [40]\neps3 = [40]\ndT = [1]\n",
                     key: "model.eps3", mentioning: ["model.eps3 and grid.eps3"])
        Self.rejects("[model]\ngamma1 = 1\n[grid]\neps1 = [40]\neps3 = [40]\ndT = [1]\ngamma = [1, 2]\n",
                     key: "model.gamma1", mentioning: ["grid.gamma and model.gamma1 are both set"])
    }

    @Test func missingCoordinatesAreNamed() {
        Self.rejects("[model]\ngamma = 1\n[grid]\neps1 = [40]\ndT = [1]\n", key: "grid.eps3",
                     mentioning: ["eps3 is neither in [model] nor in [grid]"])
        Self.rejects("[model]\ngamma = 1\n[grid]\neps1 = [40]\neps3 = [1]\n", key: "grid.dT",
                     mentioning: ["dT is neither in [model] nor in [grid]"])
        Self.rejects("[model]\ngamma = 1\ndT = 1\n[grid]\nasymmetry = [1]\nlambda = [0, 1]\n", key: "grid.detuning",
                     mentioning: ["detuning is neither in [model] nor in [grid]"])
        Self.rejects("[model]\ndT = 1\n[grid]\neps1 = [40]\neps3 = [40]\n", key: "model.gamma",
                     mentioning: ["missing required key 'model.gamma'"])
        Self.rejects("[model]\ndT = 1\n[grid]\neps1 = [40]\neps3 = [40]\ngamma1 = [1]\n", key: "model.gamma3",
                     mentioning: ["grid.gamma1 is set"])
    }

    @Test func eps1AndEps3DoNotMixWithTheRotatedCoordinates() {
        Self.rejects("[model]\ngamma = 1\ndT = 1\neps1 = 40\n[grid]\neps3 = [40]\nasymmetry = [1, 2]\n", key: "grid.asymmetry",
                     mentioning: ["grid.asymmetry cannot be combined with model.eps1", "detuning and asymmetry"])
    }

    @Test func unknownAndBadAxesAreRefused() {
        Self.rejects("[model]\ngamma = 1\n[grid]\neps1 = [40]\neps3 = [40]\ndT = [1]\nbeta = [1]\n", key: "grid.beta",
                     mentioning: ["unknown key 'grid.beta'", "eps1, eps3, dT, gamma", "detuning, asymmetry"])
        Self.rejects("[model]\ngamma = 1\n[grid]\neps1 = [40]\neps3 = [40]\ndT = [1]\nlambda = [0, 1.5]\n", key: "grid.lambda[1]",
                     mentioning: ["grid.lambda[1] = 1.5 is out of range", "0 ≤ lambda ≤ 1"])
        Self.rejects("[model]\neps1 = 40\neps3 = 40\ndT = 1\n[grid]\ngamma = { from = 0, to = 2, count = 3 }\nmu = [40]\n",
                     key: "grid.gamma.from", mentioning: ["grid.gamma.from = 0 is out of range", "> 0"])
        Self.rejects("[model]\ngamma = 1\n[grid]\neps1 = [40]\neps3 = [40]\ndT = [1]\nd = [2, 1]\n", key: "grid.d",
                     mentioning: ["not strictly increasing"])
        Self.rejects("[model]\ngamma = 1\neps1 = 40\neps3 = 40\n[grid]\ndT = { from = 0, to = 1, count = 1000001 }\nmu = [40]\n",
                     key: "grid.dT.count", mentioning: ["at most 1000000"])
        Self.rejects("[model]\ngamma = 1\ndT = 1\n[grid]\neps1 = [40]\neps3 = [40]\nc1g = [0, 1]\n", key: "grid.c1g",
                     mentioning: ["model.screening is false"])
        Self.rejects("[model]\ngamma = 1\neps3 = 40\ndT = 1\n[grid]\neps1 = [40, 41]\n", key: "grid",
                     mentioning: ["only grid.eps1", "at least two axes"])
        // Limits apply to the product of all outer axes.
        Self.rejects("[model]\ngamma = 1\neps1 = 40\n[grid]\nmu = [40]\neps3 = { from = 0, to = 1, count = 10000 }\n"
                     + "dT = { from = 0, to = 1, count = 10000 }\n", key: "grid",
                     mentioning: ["100000000 tiles (eps3 × dT)", "at most 10000000"])
    }

    /// The physics checks the combinations: a detuning and an asymmetry
    /// whose sum overflows are refused before any work.
    @Test func everyAxisValueIsValidatedByThePhysics() {
        Self.rejects("[model]\ngamma = 1\ndT = 1\n[grid]\ndetuning = [0, 1e308]\nasymmetry = [0, 1.7e308]\n", key: "grid",
                     mentioning: ["eps1 = inf at the grid point", "detuning = 1e+308"])
    }

    @Test func axesAreListedInnermostFirst() throws {
        let job = try ScanJob(parsing: Self.jobText(axes: [("asymmetry", [0, 1]), ("gamma", [1, 2, 3]), ("dT", [0.5, 1])]))
        #expect(job.grid.axes.dimensions.map(\.key) == ["dT", "gamma", "asymmetry"])
        #expect(job.grid.axes.outerShape == [2, 3])
        #expect(job.grid.pointsPerTile == 2)
        #expect(job.fixedCoordinates.map(\.key) == ["detuning"])
    }

    // MARK: Fingerprint and attributes

    @Test func fingerprintsTellAxesFromFixedValuesAndTheAxisOrder() throws {
        let fixed = try ResolvedJob(ScanJob(parsing: "[model]\ngamma = 1\n[grid]\neps1 = [40]\neps3 = [40]\ndT = [1]\n"))
        let swapped = try ResolvedJob(ScanJob(parsing: "[model]\ngamma = 1\n[grid]\neps3 = [40]\neps1 = [40]\ndT = [1]\n"))
        let gammaAxis = try ResolvedJob(ScanJob(parsing: "[model]\n[grid]\neps1 = [40]\neps3 = [40]\ndT = [1]\ngamma = [1]\n"))
        let fixedDT = try ResolvedJob(ScanJob(parsing: "[model]\ngamma = 1\ndT = 1\n[grid]\neps1 = [40]\neps3 = [40]\n"))
        let fingerprints = [fixed, swapped, gammaAxis, fixedDT].map(\.fingerprint)
        #expect(Set(fingerprints).count == 4)
        #expect(gammaAxis.canonicalDescription.contains("grid.gamma = [1.0]"))
        #expect(!gammaAxis.canonicalDescription.contains("model.gamma1"))
        #expect(fixedDT.canonicalDescription.contains("model.dT = 1.0"))
        // Axes are coordinates of the file, fixed coordinates root attributes.
        let names = gammaAxis.metadataParameters.map(\.name)
        #expect(!names.contains("gamma1") && !names.contains("gamma3") && names.contains("mu"))
        #expect(fixedDT.metadataParameters.map(\.name).contains("dT"))
        #expect(!fixed.metadataParameters.map(\.name).contains("dT"))
    }

    // MARK: N-dimensional files

    static let fourAxes = ScanAxes([
        ScanAxis("dT", [0.5, 1]), ScanAxis("gamma", [1, 2, 3]), ScanAxis("lambda", [0, 1]), ScanAxis("asymmetry", [-1, 0, 1, 2]),
    ])

    /// Writes, finishes (either way), reopens and resumes a four-axis file:
    /// the axes come back from the dimension scales in order, every
    /// dataset has them attached, and every tile reads back bit for bit.
    @Test(arguments: [ResultCompression.none, .deflate])
    func fourAxisFileRoundTrips(compression: ResultCompression) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("axes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("four.h5").path
        let axes = Self.fourAxes
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        let written = axes.allTiles.filter { axes.tileNumber($0) % 3 != 1 }
        try file.write(written.map { ($0, SyntheticTile.values(for: $0, pointCount: 4)) })
        try file.finish(run: ResultFileFixture.summary(), compression: compression)

        do {
        let raw = RawHDF5Reader(path)
        #expect(raw.dims("I_F") == [2, 3, 2, 4])
        #expect(raw.dims("U_B") == [2, 3, 2, 4, 3])
        #expect(raw.dims("tile_done") == [2, 3, 2])
        for (dimension, axis) in axes.dimensions.enumerated() {
            #expect(raw.isScaleAttached(axis.key, to: "status_F", dimension: dimension))
            #expect(raw.isScaleAttached(axis.key, to: "U_F", dimension: dimension))
            if dimension < 3 { #expect(raw.isScaleAttached(axis.key, to: "tile_done", dimension: dimension)) }
        }
        #expect(raw.isScaleAttached("region", to: "U_F", dimension: 4))
        }

        // One open at a time (HDF5 refuses a second open of the same file
        // with other properties), reading first, then resuming.
        for resume in [false, true] {
            let reopened = resume ? try ResultFile.openForResume(path: path) : try ResultFile.openForReading(path: path)
            #expect(reopened.axes == axes)
            #expect(try reopened.completedTiles() == Set(written))
            for tile in axes.allTiles {
                let values = try reopened.values(for: tile)
                let expected = written.contains(tile) ? SyntheticTile.values(for: tile, pointCount: 4) : TileValues(pointCount: 4)
                #expect(values.isBitwiseEqual(to: expected), "\(tile)")
            }
            try reopened.close()
        }
    }

    // MARK: Extras (reference currents)

    @Test func extrasAreParsedInFileOrderAndBadOnesNamed() throws {
        let base = "[model]\ngamma = 1\ndT = 1\n[grid]\neps1 = [40]\neps3 = [40]\n[output]\nfile = \"a.h5\"\n"
        let job = try ResolvedJob(ScanJob(parsing: base + "extras = [\"J_eqT\", \"I_lin\"]\n"))
        #expect(job.job.extras == ["I_lin", "J_eqT"])
        #expect(job.canonicalDescription.hasSuffix("output.extras = [\"I_lin\", \"J_eqT\"]"))
        let plain = try ResolvedJob(ScanJob(parsing: base))
        #expect(plain.job.extras.isEmpty && !plain.canonicalDescription.contains("extras"))
        #expect(plain.fingerprint != job.fingerprint)
        Self.rejects(base + "extras = [\"I_lin\", \"I_rel\"]\n", key: "output.extras",
                     mentioning: ["output.extras[1] = \"I_rel\" is not allowed", "\"I_lin\", \"J_lin\", \"I_eqT\", \"J_eqT\""])
        Self.rejects(base + "extras = [\"I_lin\", \"I_lin\"]\n", key: "output.extras", mentioning: ["twice"])
        Self.rejects(base + "extras = \"I_lin\"\n", key: "output.extras", mentioning: ["expected a list"])
    }

    /// The extras of a tile are what `diodescan point --reference` reports
    /// at each point from the tile's own result, bit for bit: without
    /// screening (one-point tiles: the result is `point`'s own) and with
    /// screening (I_eqT solved afresh from the stored result's probe state).
    @Test(arguments: [false, true])
    func extrasEqualTheReferenceCurrentsOfEachPoint(screening: Bool) throws {
        let text = Self.jobText(axes: [("d", [1.0]), ("eps1", [44, 46]), ("eps3", [44.75, 48.25])], screening: screening)
            + "[output]\nfile = \"a.h5\"\nextras = [\"I_lin\", \"J_lin\", \"I_eqT\", \"J_eqT\"]\n"
        let job = try ResolvedJob(ScanJob(parsing: text))
        let evaluator = PhysicsTileEvaluator(job: job)
        for tile in 0..<job.grid.tileCount {
            let values = try #require(evaluator.evaluate(tile: tile, stop: StopFlag()))
            let (parameters, deltaT) = job.mapping.point(at: job.grid.tile(tile) + [0])
            let solver = try DiodeSolver(parameters: parameters, settings: job.settings)
            var continuation = DiodeSolver.Continuation()
            var point = solver.solvePoint(deltaT: deltaT, continuation: &continuation)
            if screening { point = solver.checkedBranch(deltaT: deltaT, point: point, searching: false).point }
            else { #expect(point.forward.particleCurrent.bitPattern == solver.solvePoint(deltaT: deltaT).forward.particleCurrent.bitPattern) }
            Self.expectSame(point, values, at: 0, "tile \(tile)")
            for (configuration, result, fields) in [
                (Configuration.forward, point.forward, [TileValues.DoubleField.iLinF, .jLinF, .iEqTF, .jEqTF]),
                (.backward, point.backward, [.iLinB, .jLinB, .iEqTB, .jEqTB]),
            ] {
                let r = solver.referenceCurrents(deltaT: deltaT, configuration: configuration, result: result)
                let expected = [r.linearParticleCurrent, r.linearHeatCurrent, r.equilibriumTransmission.particleCurrent,
                                r.equilibriumTransmission.heatCurrent]
                for (field, value) in zip(fields, expected) {
                    #expect(values[field, 0].bitPattern == value.bitPattern, "tile \(tile) \(field): \(values[field, 0]) vs \(value)")
                    #expect(value.isFinite, "\(field)")
                }
            }
        }
        // Not asked for: zero, so omitted (never sent between ranks).
        let lin = try ResolvedJob(ScanJob(parsing: text.replacingOccurrences(of: ", \"I_eqT\", \"J_eqT\"", with: "")))
        let tile = try #require(PhysicsTileEvaluator(job: lin).evaluate(tile: 0, stop: StopFlag()))
        #expect(!tile.omits(.iLinF) && tile.omits(.iEqTF) && tile.omits(.jEqTB))
    }

    /// A file with extras: the datasets exist with the grid's dimensions,
    /// units and long names, survive compression and a resume, and a file
    /// without them keeps its fill values there.
    @Test func extrasAreStoredAndSurviveCompressionAndResume() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("extras-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("extras.h5").path
        let axes = ScanAxes(eps1: [40, 41, 42], eps3: [38, 40], dT: [1])
        func values(_ tile: TileIndex) -> TileValues {
            var v = SyntheticTile.values(for: tile, pointCount: 3)
            for (k, field) in TileValues.DoubleField.extras.enumerated() { v[field] = (0..<3).map { Double(k) + Double($0) / 4 } }
            return v
        }
        let file = try ResultFile.create(path: path, axes: axes, extras: ["J_eqT", "I_lin"], metadata: ResultFileFixture.metadata(),
                                         overwrite: false)
        #expect(file.extras == ["I_lin", "J_eqT"])
        try file.write(axes.allTiles.map { ($0, values($0)) })
        try file.finish(run: ResultFileFixture.summary(), compression: .deflate)
        do {
            let raw = RawHDF5Reader(path)
            for name in ["I_lin_F", "I_lin_B", "J_eqT_F", "J_eqT_B"] {
                #expect(raw.dims(name) == [1, 2, 3], "\(name)")
                #expect(raw.isScaleAttached("eps1", to: name, dimension: 2))
            }
            #expect(!raw.exists("J_lin_F") && !raw.exists("I_eqT_B"))
        }
        let reopened = try ResultFile.openForResume(path: path)
        #expect(reopened.extras == ["I_lin", "J_eqT"])
        for tile in axes.allTiles {
            let read = try reopened.values(for: tile), written = values(tile)
            for field in [TileValues.DoubleField.iLinF, .iLinB, .jEqTF, .jEqTB, .iF, .uB] {
                #expect(read[field].map(\.bitPattern) == written[field].map(\.bitPattern), "\(field)")
            }
            #expect(read[.jLinF].allSatisfy(\.isNaN) && read[.iEqTB].allSatisfy(\.isNaN), "not stored: fill values")
        }
        try reopened.close()
    }
}
