namespace Matching.UnitTests.Lheo;

/// <summary>Small LHEO documents written for the tests (fictional provider and courses).</summary>
public static class LheoSamples
{
    public static string Session(string numero, string etat = "1", string debut = "20270105", string fin = "20270330",
        string inscriptionDebut = "20261101", string inscriptionFin = "20261220") => $"""
        <session numero="{numero}">
          <periode><debut>{debut}</debut><fin>{fin}</fin></periode>
          <adresse-inscription><adresse><ligne>12 rue des Écoles</ligne><codepostal>23000</codepostal><ville>Guéret</ville></adresse></adresse-inscription>
          <periode-inscription><periode><debut>{inscriptionDebut}</debut><fin>{inscriptionFin}</fin></periode></periode-inscription>
          <etat-recrutement>{etat}</etat-recrutement>
        </session>
        """;

    public static string Action(string numero, int places, string modalite, params string[] sessions) => $"""
        <action numero="{numero}">
          <rythme-formation>En journée</rythme-formation>
          <code-public-vise>80056</code-public-vise>
          <niveau-entree-obligatoire>0</niveau-entree-obligatoire>
          <modalites-alternance>Aucune</modalites-alternance>
          <modalites-enseignement>{modalite}</modalites-enseignement>
          <conditions-specifiques>Aucune</conditions-specifiques>
          <prise-en-charge-frais-possible>1</prise-en-charge-frais-possible>
          <lieu-de-formation><coordonnees><adresse>
            <ligne>Tiers-lieu La Quincaillerie, 2 avenue de la Gare</ligne><codepostal>23000</codepostal><ville>Guéret</ville>
            <code-INSEE-commune>23096</code-INSEE-commune>
            <geolocalisation><latitude>46.1716</latitude><longitude>1.8717</longitude></geolocalisation>
          </adresse></coordonnees></lieu-de-formation>
          <modalites-entrees-sorties>0</modalites-entrees-sorties>
          {string.Concat(sessions)}
          <langue-formation>fr</langue-formation>
          <organisme-financeur><code-financeur>10</code-financeur><nb-places-financees>{places}</nb-places-financees></organisme-financeur>
        </action>
        """;

    public static string Formation(string numero, string title, params string[] actions) => $"""
        <formation numero="{numero}">
          <domaine-formation><code-FORMACODE ref="V12">15235</code-FORMACODE><code-ROME ref="V3">K2111</code-ROME></domaine-formation>
          <intitule-formation>{title}</intitule-formation>
          <objectif-formation>Atteindre le niveau A2 à l'oral.</objectif-formation>
          <resultats-attendus>Attestation</resultats-attendus>
          <contenu-formation>Oral, écrit, vie quotidienne.</contenu-formation>
          <certifiante>0</certifiante>
          <contact-formation><coordonnees><nom>Accueil</nom></coordonnees></contact-formation>
          <parcours-de-formation>1</parcours-de-formation>
          <code-niveau-entree>0</code-niveau-entree>
          {string.Concat(actions)}
          <organisme-formation-responsable><nom-organisme>Langues Plus (fictif)</nom-organisme></organisme-formation-responsable>
        </formation>
        """;

    public static string Document(params string[] formations) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><lheo xmlns="http://lheo.gouv.fr/2.3"><offres>{string.Concat(formations)}</offres></lheo>""";

    /// <summary>Two formations: three sessions with places (one suspended), and one action without places.</summary>
    public static string Small() => Document(
        Formation("F-FLE-01", "Français langue étrangère A2",
            Action("A-1", 12, "2", Session("S-1"), Session("S-2", etat: "3")),
            Action("A-2", 0, "0", Session("S-3"))),
        Formation("F-NUM-01", "Premiers pas numériques",
            Action("A-1", 8, "0", Session("S-1", inscriptionDebut: "00000000", inscriptionFin: "99999999"))));
}
