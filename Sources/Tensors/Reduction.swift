/// How a loss reduces its per-element values (torch's `reduction=`): their mean, their sum, or none
/// (one value per element or row).
public enum Reduction: Sendable { case mean, sum, none }
