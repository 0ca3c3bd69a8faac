namespace DecomCamNet;

/// <summary>Progress of a long explanation (masked forwards): <paramref name="Done"/> of <paramref name="Total"/> items in <paramref name="Stage"/>.</summary>
public readonly record struct CamProgress(string Stage, long Done, long Total)
{
    /// <summary>The fraction done, in [0,1].</summary>
    public double Fraction => Total <= 0 ? 1 : (double)Done / Total;
}
