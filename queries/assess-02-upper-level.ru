# Assessment step 2, upper levels: aggregate one level above the first (run once per level,
# upwards, from level 2).
# For every node at ?level and every city and year: the node's score from its children's
# scores in the run graph, by the node's csp:aggregation (csp:weightedMean: sum of weight x
# score over the children with a score divided by the sum of their weights; csp:sum: sum of
# weight x score). Coverage = children with a score for the city / children with records
# (scores or not-scored records) for any city in the year (stage:recordsIn, written by
# assess-02-not-scored for the level below). A node whose coverage is below the framework's
# csp:minimumCoverage is not scored: a csp:NotScored record with the reason is written instead
# (assess-02-not-scored adds those with no child score at all). The first level is computed
# from the observations by assess-02-first-level.
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (read and written)
#   ?stage      IRI of the run's staging graph (read)
#   ?framework  IRI of the assessment framework
#   ?level      integer: the level to compute (2 or higher)
# Writes: csp:CompositeIndex (the top nodes) or csp:Assessment (other nodes) with
#   csp:scoreValue, csp:coverage and prov:wasDerivedFrom the children's scores; csp:NotScored
#   with csp:coverage, csp:reason and prov:wasDerivedFrom the children's scores it had.
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

# scores, or not-scored records, where at least one child has a score: one pass over the
# children's scores; the value property is csp:scoreValue or csp:reason
INSERT {
  GRAPH ?run {
    ?result a ?resultClass ;
            csp:city ?city ;
            csp:refYear ?year ;
            csp:frameworkNode ?node ;
            ?valueProperty ?valueOrReason ;
            csp:coverage ?coverage ;
            prov:wasGeneratedBy ?run .
  }
}
WHERE {
  {
    SELECT ?node ?city ?year (SUM(?w * ?s) AS ?weighted) (SUM(?w) AS ?weights)
           (COUNT(?child) AS ?have)
    WHERE {
      GRAPH ?fg1 { ?node csp:inFramework ?framework ; csp:level ?level .
                   ?child csp:parentNode ?node ; csp:weight ?w . }
      GRAPH ?run { ?childScore csp:frameworkNode ?child ; csp:city ?city ; csp:refYear ?year ;
                                csp:scoreValue ?s . }
    }
    GROUP BY ?node ?city ?year
  }
  {
    SELECT ?node ?year (COUNT(DISTINCT ?child) AS ?selected) WHERE {
      GRAPH ?fg2 { ?node csp:inFramework ?framework ; csp:level ?level .
                   ?child csp:parentNode ?node . }
      GRAPH ?stage { ?child stage:recordsIn ?year . }
    }
    GROUP BY ?node ?year
  }
  GRAPH ?fg3 { ?node csp:aggregation ?rule . ?framework csp:minimumCoverage ?minimum . }
  BIND (xsd:decimal(?have) / ?selected AS ?coverage)  # a decimal on every engine
  BIND (IF(?coverage >= ?minimum, csp:scoreValue, csp:reason) AS ?valueProperty)
  BIND (IF(?coverage >= ?minimum,
           IF(?rule = csp:sum, ?weighted, ?weighted / ?weights),
           CONCAT("data for ", STR(?have), " of ", STR(?selected),
                  " parts; at least ", STR(xsd:integer(ROUND(?minimum * 100))),
                  " % are needed")) AS ?valueOrReason)
  BIND (IF(?coverage < ?minimum, csp:NotScored,
           IF(NOT EXISTS { GRAPH ?fg5 { ?node csp:parentNode ?parent } }, csp:CompositeIndex,
              csp:Assessment)) AS ?resultClass)
  BIND (IRI(CONCAT(STR(?run), "/result/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                      STR(?year))))) AS ?result)
} ;

# each record (score or not-scored, one IRI scheme) was derived from its children's scores:
# driven from the children's scores (each is looked at once), the parent's IRI is computed
# from (node, city, year)
INSERT {
  GRAPH ?run {
    ?result prov:wasDerivedFrom ?childScore .
  }
}
WHERE {
  GRAPH ?fg1 { ?node csp:inFramework ?framework ; csp:level ?level .
               ?child csp:parentNode ?node . }
  GRAPH ?run { ?childScore csp:frameworkNode ?child ; csp:city ?city ; csp:refYear ?year ;
                           csp:scoreValue ?childValue . }
  BIND (IRI(CONCAT(STR(?run), "/result/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                      STR(?year))))) AS ?result)
}
