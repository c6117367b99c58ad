import DiodePhysics
import XCTest
@testable import DiodeScan

/// Resume bookkeeping, the job fingerprint, the tile message format and the
/// default thread count.
final class ScanBookkeepingTests: XCTestCase {
    static let job = """
    title = "a"
    [model]
    gamma = 3.0
    lambda = 1.0
    [grid]
    eps1 = { from = 30.0, to = 50.0, count = 5 }
    eps3 = [35.0, 45.0]
    dT = [0.5, 1.0]
    [output]
    file = "a.h5"
    """

    func resolved(_ text: String) throws -> ResolvedJob { try ResolvedJob(ScanJob(parsing: text)) }

    /// The dry run's estimate for tiles longer than its runs (screening, 20
    /// points per tile): runs of `predictorOrder + 3` points, the steady
    /// continued cost, and a timed branch check; for tiles no longer than a
    /// run, whole tiles and no separate check.
    func testDryRunEstimatesLongTilesFromRunsAndBranchChecks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dryrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (count, expectRuns, expectCheck) in [(20, "runs of 8 points", true), (6, "runs of 6 points", false)] {
            let path = directory.appendingPathComponent("job\(count).toml").path
            try Self.job
                .replacingOccurrences(of: "gamma = 3.0\nlambda = 1.0", with: "gamma = 1.0\nlambda = 0.0\nscreening = true")
                .replacingOccurrences(of: "from = 30.0, to = 50.0, count = 5", with: "from = 44.0, to = 46.0, count = \(count)")
                .write(toFile: path, atomically: true, encoding: .utf8)
            var lines: [String] = []
            let status = DryRun.run(jobPath: path, outputPath: directory.appendingPathComponent("never.h5").path,
                                    threads: 2) { lines.append($0) }
            XCTAssertEqual(status, ScanExitStatus.success)
            let cost = try XCTUnwrap(lines.first { $0.hasPrefix("cost: ") }, "\(lines)")
            XCTAssertTrue(cost.contains(expectRuns), cost)
            XCTAssertEqual(cost.contains("ms per branch check"), expectCheck, cost)
            XCTAssertFalse(cost.contains("not converged"), cost)
            let perPoint = try XCTUnwrap(Double(cost.dropFirst("cost: ".count).prefix { $0 != " " }))
            XCTAssertGreaterThan(perPoint, 0)
            XCTAssertTrue(perPoint.isFinite)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("never.h5").path))
        }
        XCTAssertEqual(DryRun.pointsPerSample, DiodeSolver.ConfigurationContinuation.predictorOrder + 3)
    }

    /// The dry run times `evaluateLine`: it must be exactly the work of a
    /// tile (cold first point, then continuation), or the estimate would
    /// measure something a scan never does. Screening (λ = 0), where the
    /// continuation carries states and quadrature partitions.
    func testDryRunLineSolvesExactlyWhatATileSolves() throws {
        let job = try resolved(Self.job
            .replacingOccurrences(of: "gamma = 3.0\nlambda = 1.0", with: "gamma = 1.0\nlambda = 0.0\nscreening = true")
            .replacingOccurrences(of: "from = 30.0, to = 50.0", with: "from = 44.0, to = 45.0"))
        XCTAssertTrue(job.job.model.screening)
        let evaluator = PhysicsTileEvaluator(job: job)
        let tile = try XCTUnwrap(evaluator.evaluate(tile: 3, stop: StopFlag()))
        var line: [PointResult?] = []
        evaluator.evaluateLine(tile: 3, points: 0..<4) { point, _, _ in line.append(point) }
        XCTAssertEqual(line.count, 4)
        for (i, point) in line.enumerated() {
            let point = try XCTUnwrap(point)
            XCTAssertEqual(point.forward.status, .converged)
            XCTAssertEqual(point.forward.particleCurrent.bitPattern, tile[.iF, i].bitPattern, "I_F at \(i)")
            XCTAssertEqual(point.backward.heatCurrent.bitPattern, tile[.jB, i].bitPattern, "J_B at \(i)")
            XCTAssertEqual(Int32(point.forward.iterations), tile[.iterationsF, i], "iterations at \(i)")
        }
    }

    func testPendingTilesExcludeCompletedInStorageOrder() {
        let grid = ScanGrid(eps1: [1, 2], eps3: [1, 2, 3], dT: [1, 2])
        XCTAssertEqual(grid.pendingTiles(excluding: []), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(grid.pendingTiles(excluding: [TileIndex(dT: 0, eps3: 1), TileIndex(dT: 1, eps3: 2)]), [0, 2, 3, 4])
        XCTAssertEqual(grid.pendingTiles(excluding: Set(grid.axes.allTiles)), [])
        for number in 0..<grid.tileCount {
            XCTAssertEqual(grid.axes.allTiles[number], grid.tileIndex(number), "tile numbers follow the file's order")
        }
    }

    func testFingerprintIgnoresTitleOutputAndFormatting() throws {
        let a = try resolved(Self.job)
        let b = try resolved(Self.job
            .replacingOccurrences(of: "title = \"a\"", with: "# another title\ntitle = \"b\"")
            .replacingOccurrences(of: "a.h5", with: "b.h5")
            .replacingOccurrences(of: "gamma = 3.0", with: "gamma1 = 3\ngamma3 = 3.0\nmu = 40"))
        XCTAssertEqual(a.fingerprint, b.fingerprint)
        XCTAssertTrue(a.fingerprint.hasPrefix("fnv1a64:"))
        XCTAssertEqual(a.fingerprint.count, "fnv1a64:".count + 16)
    }

    func testFingerprintChangesWithModelGridAndSolver() throws {
        let base = try resolved(Self.job).fingerprint
        let variants = [
            Self.job.replacingOccurrences(of: "gamma = 3.0", with: "gamma = 3.0000001"),
            Self.job.replacingOccurrences(of: "lambda = 1.0", with: "lambda = 0.5"),
            Self.job.replacingOccurrences(of: "count = 5", with: "count = 6"),
            Self.job.replacingOccurrences(of: "dT = [0.5, 1.0]", with: "dT = [0.5, 1.5]"),
            Self.job.replacingOccurrences(of: "lambda = 1.0", with: "lambda = 1.0\nscreening = true"),
            Self.job.replacingOccurrences(of: "lambda = 1.0", with: "lambda = 1.0\nscreening = true")
                + "\n[model.capacitances]\nc12 = 1",
        ]
        for text in variants {
            XCTAssertNotEqual(try resolved(text).fingerprint, base, text)
        }
        let settings = try resolved(Self.job).settingsFields
        XCTAssertFalse(settings.isEmpty, "the solver settings are part of the fingerprint")
    }

    func testMetadataHasEveryParameterAndNoReservedName() throws {
        let parameters = try resolved(Self.job).metadataParameters
        let names = parameters.map(\.name)
        for name in ["mu", "gamma1", "gamma3", "lambda", "d", "screening", "c12", "c13", "c23", "c1g", "c2g", "c3g", "job_title"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertTrue(names.contains { $0.hasPrefix("solver_") })
        XCTAssertTrue(ResultFile.reservedAttributeNames.isDisjoint(with: names))
        XCTAssertEqual(Set(names).count, names.count)
    }

    func testTileMessageRoundTripsBitForBit() throws {
        var values = TileValues(pointCount: 3)
        values[.iF] = [1.5, -0.0, Double(bitPattern: 0x7FF8_0000_0000_1234)]   // a NaN with a payload
        values[.uB] = (0..<9).map { Double($0) * 0.1 }
        values[.statusF] = [0, 1, 2]
        values[.iterationsB] = [7, Int32.max, -1]
        let message = values.encoded()
        XCTAssertEqual(message.count, 1 + 3 * TileValues.valuesPerPoint, "no field omitted, one header value")
        let decoded = try TileValues(decoding: message[...], pointsPerTile: 3)
        XCTAssertTrue(decoded.isBitwiseEqual(to: values))
        XCTAssertEqual(decoded[.iF, 2].bitPattern, 0x7FF8_0000_0000_1234)
        XCTAssertEqual(decoded.nonConvergedPoints, 3, "status -1 (backward, never computed) counts too")
        XCTAssertThrowsError(try TileValues(decoding: message.dropLast(), pointsPerTile: 3))
        XCTAssertThrowsError(try TileValues(decoding: message[1...], pointsPerTile: 3), "no header")
        var notInteger = message
        // status_F of point 1: after the double fields (all but four entries a point).
        notInteger[1 + (TileValues.valuesPerPoint - 4) * 3 + 1] = 0.5
        XCTAssertThrowsError(try TileValues(decoding: notInteger[...], pointsPerTile: 3))
        for header in [-1.0, Double(TileValues.FieldSet.all.rawValue) + 1, 0.5, .nan] {
            var bad = message
            bad[0] = header
            XCTAssertThrowsError(try TileValues(decoding: bad[...], pointsPerTile: 3)) {
                XCTAssertTrue("\($0)".contains("omitted fields"), "\($0)")
            }
        }
    }

    /// Zero fields (U without screening, the status of converged points) are
    /// left out of the message and read back as zeros, bit for bit.
    func testZeroFieldsAreOmittedFromTheMessageAndReadAsZeros() throws {
        var values = TileValues(pointCount: 3)
        values[.iF] = [1.5, 0, -2]
        values[.jB] = [0, 0, 0]
        values[.uF] = [Double](repeating: 0, count: 9)
        values[.uB] = [0, 0, 0, 0, -0.0, 0, 0, 0, 0]   // minus zero: not omitted
        values[.statusF] = [0, 0, 0]
        values[.statusB] = [0, 0, 0]
        values[.iterationsB] = [0, 0, 0]
        let compact = values.omittingZeroFields()
        XCTAssertEqual(compact.omittedFields, [TileValues.DoubleField.jB.member, TileValues.DoubleField.uF.member,
                                               TileValues.IntegerField.statusF.member, TileValues.IntegerField.statusB.member,
                                               TileValues.IntegerField.iterationsB.member])
        XCTAssertEqual(compact.storage.count, 3 * (TileValues.valuesPerPoint - 1 - 3 - 3))
        XCTAssertTrue(compact.isBitwiseEqual(to: values))
        XCTAssertEqual(compact[.uF], [Double](repeating: 0, count: 9))
        XCTAssertEqual(compact[.uB, 4].sign, .minus)
        XCTAssertEqual(compact[.statusB, 2], 0)
        XCTAssertEqual(compact[.iterationsF], [-1, -1, -1])
        XCTAssertEqual(compact.nonConvergedPoints, 0, "both status fields omitted: all converged")

        let message = compact.encoded()
        XCTAssertEqual(message.count, 1 + compact.storage.count)
        let decoded = try TileValues(decoding: message[...], pointsPerTile: 3)
        XCTAssertEqual(decoded.omittedFields, compact.omittedFields)
        XCTAssertTrue(decoded.isBitwiseEqual(to: values))
        XCTAssertThrowsError(try TileValues(decoding: (message + [0])[...], pointsPerTile: 3))
        var other = message
        other[0] = 0   // claims nothing omitted: too short
        XCTAssertThrowsError(try TileValues(decoding: other[...], pointsPerTile: 3))

        // Setting a value of an omitted field puts the field back.
        var edited = decoded
        edited[.uF, 7] = 2.5
        edited[.statusF, 1] = 1
        XCTAssertEqual(edited.omittedFields, [])
        XCTAssertEqual(edited[.uF], [0, 0, 0, 0, 0, 0, 0, 2.5, 0])
        XCTAssertEqual(edited.nonConvergedPoints, 1)
        XCTAssertFalse(edited.isBitwiseEqual(to: values))
        XCTAssertEqual(edited[.iF], values[.iF])
        XCTAssertTrue(values.omittingZeroFields().omittingZeroFields().isBitwiseEqual(to: values))
    }

    /// A computed tile leaves out what is zero: U without screening; with
    /// screening U is computed and kept.
    func testEvaluatedTilesOmitTheirZeroFields() throws {
        let plain = try resolved(Self.job)
        let tile = try XCTUnwrap(PhysicsTileEvaluator(job: plain).evaluate(tile: 0, stop: StopFlag()))
        XCTAssertTrue(tile.omits(.uF) && tile.omits(.uB) && tile.omits(.statusF) && tile.omits(.statusB))
        XCTAssertFalse(tile.omits(.iF) || tile.omits(.iterationsF))
        let screened = try resolved(Self.job.replacingOccurrences(of: "lambda = 1.0", with: "lambda = 1.0\nscreening = true"))
        let withU = try XCTUnwrap(PhysicsTileEvaluator(job: screened).evaluate(tile: 0, stop: StopFlag()))
        XCTAssertFalse(withU.omits(.uF) || withU.omits(.uB))
        XCTAssertNotEqual(withU[.uF, 0], 0)
    }

    func testResultsMessageCarriesSeveralTilesAsSlicesOfItself() throws {
        var first = TileValues(pointCount: 3), second = TileValues(pointCount: 3)
        first[.jB] = [1, 2, 3]
        second[.iterationsF] = [4, 5, 6]
        let sent = [FinishedTile(tile: 7, payload: first.encoded()[...]), FinishedTile(tile: 2, payload: second.encoded()[...])]
        let transport = try XCTUnwrap(MPITransport.finishedTiles(in: MPITransport.message(for: sent)))
        XCTAssertEqual(transport.map(\.tile), [7, 2])
        XCTAssertEqual(transport.map { $0.payload.map(\.bitPattern) }, sent.map { $0.payload.map(\.bitPattern) })
        // Decoded where they lie in the message: slices not starting at 0.
        XCTAssertEqual(transport[1].payload.startIndex, 1 + 3 * TileValues.valuesPerPoint)
        XCTAssertTrue(try TileValues(decoding: transport[1].payload, pointsPerTile: 3).isBitwiseEqual(to: second))
        XCTAssertEqual(MPITransport.finishedTiles(in: MPITransport.message(for: []))?.count, 0)

        let message = MPITransport.message(for: sent)
        for malformed in [[], message.dropLast().map { $0 }, [0.5], message.dropFirst().map { $0 }, [3, 1, 1]] {
            XCTAssertNil(MPITransport.finishedTiles(in: malformed), "\(malformed.suffix(5))")
        }
    }

    func testNonConvergedCountsPointsWithEitherConfigurationFailing() {
        var values = TileValues(pointCount: 4)
        values[.statusF] = [0, 1, 0, 2]
        values[.statusB] = [0, 0, 1, 2]
        XCTAssertEqual(values.nonConvergedPoints, 3)
    }

    func testDefaultThreadCount() {
        XCTAssertEqual(ScanRunner.defaultThreadCount(environment: [:], cores: 8), 8, "no launcher: all cores")
        XCTAssertEqual(ScanRunner.defaultThreadCount(environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "4"], cores: 8), 2)
        XCTAssertEqual(ScanRunner.defaultThreadCount(environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "4"], cores: 2), 1, "at least 1")
        XCTAssertEqual(ScanRunner.defaultThreadCount(environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "2", "SLURM_CPUS_PER_TASK": "16"], cores: 64), 16)
        XCTAssertEqual(ScanRunner.defaultThreadCount(environment: ["SLURM_CPUS_PER_TASK": "16"], cores: 64), 64, "Slurm's value applies to launched ranks")
    }
}

extension ScanBookkeepingTests {
    func testPhysicsValidationErrorsNameTheJobKey() throws {
        let text = Self.job + "\n[solver]\nrelative_tolerance = 2.0"
        XCTAssertThrowsError(try resolved(text)) { error in
            let e = error as! JobError
            XCTAssertEqual(e.key, "solver.relative_tolerance")
            XCTAssertTrue(e.message.contains("solver.relative_tolerance = 2.0 is out of range; allowed: in (0, 1)"), e.message)
        }
        let nested = Self.job + "\n[solver.newton]\nmaximum_iterations = 0"
        XCTAssertThrowsError(try resolved(nested)) { error in
            XCTAssertEqual((error as! JobError).key, "solver.newton.maximum_iterations")
        }
    }
}
