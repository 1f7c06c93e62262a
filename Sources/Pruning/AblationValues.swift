/// What the masked-out units of a node circuit become, as found with the circuit: per-unit
/// constants (mean ablation's means over the discovery data; zeros for zero ablation) or, for
/// resample ablation, the donor pool drawn from that data. They are part of what was discovered.
public struct AblationValues: Sendable {
    /// Blocks × width constants.
    public let constants: [Float]
    /// Resample ablation's donors, which replace the constants when present.
    public let donors: DonorPool?

    /// Values from constants and, for resample ablation, donors.
    public init(constants: [Float], donors: DonorPool?) { self.constants = constants; self.donors = donors }

    /// The values a set of masks ablates to.
    init(_ masks: NodeMasks) { self.init(constants: masks.ablation, donors: masks.donors) }
}

/// Where a circuit's ablation values come from when it runs: the values it was discovered with
/// (`discovery`, the default everywhere), or values computed anew on the data it runs on (`data`).
public enum AblationSource: String, Sendable, CaseIterable {
    case discovery, data
}
