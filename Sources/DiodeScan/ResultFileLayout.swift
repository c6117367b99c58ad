import DiodeHDF5

/// The names, units and storage of everything in a result file: the layout
/// of docs/ARCHITECTURE.md in one place.
enum ResultFileLayout {
    /// A result dataset of doubles with the grid's axes as dimensions
    /// (`ScanAxes`, e.g. `(dT, eps3, eps1)`), and a trailing `region` when `perRegion`.
    struct DoubleVariable {
        let name: String
        let field: TileValues.DoubleField
        let units: String
        let longName: String
        /// Three values per point (one per region).
        var perRegion: Bool { field.valuesPerPoint == 3 }
    }

    /// A result dataset of 32-bit integers with the grid's axes as dimensions.
    struct Int32Variable {
        let name: String
        let field: TileValues.IntegerField
        let longName: String
        let isStatus: Bool
    }

    static let forward = "forward configuration (T_L = 1 + dT, T_R = 1)"
    static let backward = "backward configuration (T_L = 1, T_R = 1 + dT)"

    static let doubleVariables: [DoubleVariable] = [
        DoubleVariable(name: "I_F", field: .iF, units: "k_B T / h", longName: "particle current I_L, \(forward)"),
        DoubleVariable(name: "I_B", field: .iB, units: "k_B T / h", longName: "particle current I_L, \(backward)"),
        DoubleVariable(name: "J_F", field: .jF, units: "(k_B T)^2 / h", longName: "heat current J_L, \(forward)"),
        DoubleVariable(name: "J_B", field: .jB, units: "(k_B T)^2 / h", longName: "heat current J_L, \(backward)"),
        DoubleVariable(
            name: "R_I", field: .rI, units: "1",
            longName: "particle current rectification (I_F + I_B) / (|I_F| + |I_B|)"),
        DoubleVariable(
            name: "R_J", field: .rJ, units: "1",
            longName: "heat current rectification (J_F + J_B) / (|J_F| + |J_B|)"),
        DoubleVariable(name: "mu_p_F", field: .muPF, units: "k_B T", longName: "probe electrochemical potential, \(forward)"),
        DoubleVariable(name: "mu_p_B", field: .muPB, units: "k_B T", longName: "probe electrochemical potential, \(backward)"),
        DoubleVariable(name: "T_p_F", field: .tPF, units: "T", longName: "probe temperature, \(forward)"),
        DoubleVariable(name: "T_p_B", field: .tPB, units: "T", longName: "probe temperature, \(backward)"),
        DoubleVariable(
            name: "U_F", field: .uF, units: "k_B T",
            longName: "non-equilibrium potentials U_1, U_2, U_3 of the regions, \(forward)"),
        DoubleVariable(
            name: "U_B", field: .uB, units: "k_B T",
            longName: "non-equilibrium potentials U_1, U_2, U_3 of the regions, \(backward)"),
    ]

    /// The optional reference currents (`[output] extras`, docs/jobs.md;
    /// docs/physics.md §10), each name with its forward and backward
    /// variables: `I_lin_F`, `I_lin_B`, …. Same dimensions as `I_F`; created
    /// after every other dataset, so a file without them has exactly the
    /// layout it had before they existed.
    static let extras: [(name: String, variables: [DoubleVariable])] = [
        ("I_lin", [
            DoubleVariable(name: "I_lin_F", field: .iLinF, units: "k_B T / h",
                           longName: "linear-response particle current I_lin = L_I^(1) dT, \(forward)"),
            DoubleVariable(name: "I_lin_B", field: .iLinB, units: "k_B T / h",
                           longName: "linear-response particle current I_lin = L_I^(1) dT, \(backward)"),
        ]),
        ("J_lin", [
            DoubleVariable(name: "J_lin_F", field: .jLinF, units: "(k_B T)^2 / h",
                           longName: "linear-response heat current J_lin = L_J^(1) dT, \(forward)"),
            DoubleVariable(name: "J_lin_B", field: .jLinB, units: "(k_B T)^2 / h",
                           longName: "linear-response heat current J_lin = L_J^(1) dT, \(backward)"),
        ]),
        ("I_eqT", [
            DoubleVariable(name: "I_eqT_F", field: .iEqTF, units: "k_B T / h",
                           longName: "particle current with the equilibrium transmission (U = 0), \(forward)"),
            DoubleVariable(name: "I_eqT_B", field: .iEqTB, units: "k_B T / h",
                           longName: "particle current with the equilibrium transmission (U = 0), \(backward)"),
        ]),
        ("J_eqT", [
            DoubleVariable(name: "J_eqT_F", field: .jEqTF, units: "(k_B T)^2 / h",
                           longName: "heat current with the equilibrium transmission (U = 0), \(forward)"),
            DoubleVariable(name: "J_eqT_B", field: .jEqTB, units: "(k_B T)^2 / h",
                           longName: "heat current with the equilibrium transmission (U = 0), \(backward)"),
        ]),
    ]

    /// The names `[output] extras` allows, in file order.
    static var extraNames: [String] { extras.map(\.name) }

    /// The result datasets of doubles of a file with `extras`: the twelve of
    /// every file, then those of the extras in the order of `extras`.
    static func doubleVariables(extras names: [String]) -> [DoubleVariable] {
        doubleVariables + extras.filter { names.contains($0.name) }.flatMap(\.variables)
    }

    static let int32Variables: [Int32Variable] = [
        Int32Variable(name: "status_F", field: .statusF, longName: "solver status, \(forward)", isStatus: true),
        Int32Variable(name: "status_B", field: .statusB, longName: "solver status, \(backward)", isStatus: true),
        Int32Variable(
            name: "iterations_F", field: .iterationsF,
            longName: "solver iterations, \(forward) (-1: not computed)", isStatus: false),
        Int32Variable(
            name: "iterations_B", field: .iterationsB,
            longName: "solver iterations, \(backward) (-1: not computed)", isStatus: false),
    ]

    static let tileDone = "tile_done"

    /// Values of `tile_done`.
    enum TileFlag {
        /// Not computed: the tile holds fill values.
        static let notDone: UInt8 = 0
        /// Complete values are on disk.
        static let done: UInt8 = 1
        /// A batch write was under way (scanning files only; a process killed
        /// then leaves it): the values may be partial and count as not done.
        static let writing: UInt8 = 2
        /// Never written (scanning files only): the storage was allocated
        /// without fill values and reads as zeros.
        static let unwritten: UInt8 = 3

        /// CF `flag_values` and `flag_meanings` of `tile_done`.
        static let all: [UInt8] = [notDone, done, writing, unwritten]
        static let meanings = "not_computed complete being_written never_written"
    }

    /// Run attributes that only a finished file carries (removed again when
    /// a finished file goes back to the scanning stage for a resume).
    static var runAttributes: [String] {
        [Root.tilesCompleted, Root.wallTime, Root.ranks, Root.threads, Root.nonConverged, Root.nonConvergedF,
         Root.nonConvergedB]
    }

    /// Status codes, documented in the `status_codes` attribute.
    static let statusCodes = "-1: not computed, 0: converged, 1: not converged, 2: non-finite, "
        + "3: converged (the equilibrium branch), a second self-consistent solution was found"
    static let statusFlagValues: [Int64] = [-1, 0, 1, 2, 3]
    static let statusFlagMeanings = "not_computed converged not_converged non_finite multiple_solutions"

    /// A coordinate (1-D dimension scale).
    struct Coordinate {
        let name: String
        let units: String
        let longName: String
    }

    /// The coordinate of the grid axis `key`: units and `long_name` from the
    /// parameter table, except for the paper's three axes, whose long names
    /// predate the table and stay as they were (files of existing jobs keep
    /// their exact layout).
    static func coordinate(for key: String) -> Coordinate {
        switch key {
        case "dT": Coordinate(name: "dT", units: "T", longName: "temperature bias dT (hot lead at 1 + dT, cold lead at 1)")
        case "eps3": Coordinate(name: "eps3", units: "k_B T", longName: "resonance energy of barrier 3 (absolute)")
        case "eps1": Coordinate(name: "eps1", units: "k_B T", longName: "resonance energy of barrier 1 (absolute)")
        default:
            if let parameter = ModelParameter.axis(key) {
                Coordinate(name: key, units: parameter.unit, longName: parameter.summary)
            } else {
                // Unreachable for a validated job (only table keys become axes).
                Coordinate(name: key, units: "1", longName: key)
            }
        }
    }

    /// Every name a coordinate may have, for finding the axes of a file.
    static var coordinateNames: [String] { ModelParameter.axisParameters.map(\.key) }

    static let regionCoordinate = Coordinate(
        name: "region", units: "1",
        longName: "region of U (1: barrier 1, 2: ballistic segment with probe, 3: barrier 3)")
    static let regionValues: [Int32] = [1, 2, 3]

    // Root attribute names written by ResultFile itself.
    enum Root {
        static let conventions = "Conventions"
        static let title = "title"
        static let source = "source"
        static let history = "history"
        static let fileStage = "file_stage"
        static let softwareVersion = "software_version"
        static let sourceRevision = "source_revision"
        static let creationTime = "date_created"
        static let jobText = "job_text"
        static let jobFingerprint = "job_fingerprint"
        static let parameterNames = "parameter_names"
        static let statusCodes = "status_codes"
        static let tilesTotal = "tiles_total"
        static let tilesCompleted = "tiles_completed"
        static let wallTime = "wall_time_seconds"
        static let ranks = "mpi_ranks"
        static let threads = "threads_per_rank"
        static let nonConverged = "non_converged_points"
        static let nonConvergedF = "non_converged_points_F"
        static let nonConvergedB = "non_converged_points_B"

        static let all: Set<String> = [
            conventions, title, source, history, fileStage, softwareVersion, sourceRevision,
            creationTime, jobText, jobFingerprint, parameterNames, statusCodes, tilesTotal,
            tilesCompleted, wallTime, ranks, threads, nonConverged, nonConvergedF, nonConvergedB,
        ]
    }

    /// `file_stage` values.
    enum Stage {
        /// Written while scanning: contiguous preallocated datasets that are
        /// only ever overwritten in place (crash-safe); only tiles flagged 1
        /// hold meaningful values.
        static let scanning = "scanning"
        /// Written by `finish`: the run attributes added, and the datasets
        /// either as they were (contiguous) or chunked and compressed.
        static let finished = "finished"
    }

    /// The deflate level of compressed files: level 1 compresses these
    /// arrays (after the byte shuffle) almost as well as higher levels at a
    /// fraction of the time.
    static let deflateLevel = 1

    /// The number of elements a compressed chunk aims for.
    static let targetChunkElements = 1 << 16

    /// A chunk shape for `shape`: trailing dimensions whole, leading ones cut
    /// so a chunk holds about `targetChunkElements` elements.
    static func chunkShape(for shape: [Int]) -> [Int] {
        var chunk = shape.map { max($0, 1) }
        for dimension in chunk.indices {
            let total = chunk.reduce(1, *)
            guard total > targetChunkElements else { break }
            let rest = chunk[(dimension + 1)...].reduce(1, *)
            chunk[dimension] = max(1, targetChunkElements / rest)
        }
        return chunk
    }
}
