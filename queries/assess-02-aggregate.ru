# Assessment step 2: aggregate one level of the framework tree (run once per level, upwards).
# For every node at ?level and every city and year: the node's score from its children's
# scores in the run graph, by the node's csp:aggregation (csp:weightedMean: sum of weight x
# score over the children with a score divided by the sum of their weights; csp:sum: sum of
# weight x score). Coverage = children with a score for the city / children with records
# (scores or not-scored records) for any city in the year. A node whose coverage is below the
# framework's csp:minimumCoverage is not scored: a csp:NotScored record with the reason is
# written instead, also for the cities with no child score at all (coverage 0).
# Which children have records in which year, and which cities have scores in which year, are
# markers in the run's staging graph (stage:recordsIn from assess-00-statistics and from the
# levels below; stage:city/stage:year written here at level 1), so no operation rescans the
# run graph for them.
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (read and written)
#   ?stage      IRI of the run's staging graph (read and written)
#   ?framework  IRI of the assessment framework
#   ?level      integer: the level to compute (1 = just above the indicators)
# Writes: csp:ElementScore (nodes standing for an element or dimension), csp:CompositeIndex
#   (the top nodes) or csp:Assessment (groups) with csp:scoreValue and csp:coverage, and
#   prov:wasDerivedFrom the children's scores; csp:NotScored with csp:coverage and csp:reason.
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

# the nodes of this level with records in a year: those with a child with records in it
INSERT { GRAPH ?stage { ?node stage:recordsIn ?year . } }
WHERE {
  GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level ?level .
              ?child csp:parentNode ?node . }
  GRAPH ?stage { ?child stage:recordsIn ?year . }
} ;

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
              IF(?level = 1 && EXISTS { GRAPH ?fg4 { ?node csp:standsFor ?aspect } },
                 csp:ElementScore, csp:Assessment))) AS ?resultClass)
  BIND (IRI(CONCAT(STR(?run), IF(?coverage >= ?minimum, "/score/", "/not-scored/"),
                   MD5(CONCAT(STR(?node), " ", STR(?city), " ", STR(?year))))) AS ?result)
} ;

# the cities with scores in each year: every city-year with an indicator score has a record
# (score or not-scored) at level 1, on the parent of that indicator
INSERT { GRAPH ?stage { ?cityYear stage:city ?city ; stage:year ?year . } }
WHERE {
  FILTER (?level = 1)
  {
    SELECT DISTINCT ?city ?year WHERE {
      GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level ?level . }
      GRAPH ?run { ?record csp:frameworkNode ?node ; csp:city ?city ; csp:refYear ?year . }
    }
  }
  BIND (IRI(CONCAT(STR(?stage), "/city-year/", MD5(CONCAT(STR(?city), " ", STR(?year)))))
        AS ?cityYear)
} ;

# not scored, coverage 0: a city with scores in the year but no score on any child
INSERT {
  GRAPH ?run {
    ?record a csp:NotScored ;
            csp:city ?city ;
            csp:refYear ?year ;
            csp:frameworkNode ?node ;
            csp:coverage ?coverage ;
            csp:reason ?reason ;
            prov:wasGeneratedBy ?run .
  }
}
WHERE {
  GRAPH ?fg3 { ?framework csp:minimumCoverage ?minimum . }
  FILTER (0 < ?minimum)
  {
    SELECT ?node ?year (COUNT(DISTINCT ?child) AS ?selected) WHERE {
      GRAPH ?fg2 { ?node csp:inFramework ?framework ; csp:level ?level .
                   ?child csp:parentNode ?node . }
      GRAPH ?stage { ?child stage:recordsIn ?year . }
    }
    GROUP BY ?node ?year
  }
  GRAPH ?stage { ?cityYear stage:city ?city ; stage:year ?year . }
  BIND (MD5(CONCAT(STR(?node), " ", STR(?city), " ", STR(?year))) AS ?key)
  BIND (IRI(CONCAT(STR(?run), "/score/", ?key)) AS ?score)
  BIND (IRI(CONCAT(STR(?run), "/not-scored/", ?key)) AS ?record)
  FILTER NOT EXISTS { GRAPH ?run { ?score csp:frameworkNode ?node } }
  FILTER NOT EXISTS { GRAPH ?run { ?record csp:frameworkNode ?node } }
  BIND (xsd:decimal(0) / ?selected AS ?coverage)
  BIND (CONCAT("data for 0 of ", STR(?selected), " parts; at least ",
               STR(xsd:integer(ROUND(?minimum * 100))), " % are needed") AS ?reason)
} ;

# each score was derived from its children's scores: driven from the children's scores (each
# is looked at once), the parent's score IRI is computed from (node, city, year)
INSERT {
  GRAPH ?run {
    ?score prov:wasDerivedFrom ?childScore .
  }
}
WHERE {
  GRAPH ?fg1 { ?node csp:inFramework ?framework ; csp:level ?level .
               ?child csp:parentNode ?node . }
  GRAPH ?run { ?childScore csp:frameworkNode ?child ; csp:city ?city ; csp:refYear ?year ;
                           csp:scoreValue ?childValue . }
  BIND (IRI(CONCAT(STR(?run), "/score/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                     STR(?year))))) AS ?score)
  FILTER EXISTS { GRAPH ?run { ?score csp:scoreValue ?value } }
}
