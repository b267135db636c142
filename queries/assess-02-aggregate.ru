# Assessment step 2: aggregate one level of the framework tree (run once per level, upwards).
# For every node at ?level and every city and year: the node's score from its children's
# scores in the run graph, by the node's csp:aggregation (csp:weightedMean: sum of weight x
# score over the children with a score divided by the sum of their weights; csp:sum: sum of
# weight x score). Coverage = children with a score for the city / children with a score for
# any city in the year. A node whose coverage is below the framework's csp:minimumCoverage is
# not scored: a csp:NotScored record with the reason is written instead.
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (read and written)
#   ?framework  IRI of the assessment framework
#   ?level      integer: the level to compute (1 = just above the indicators)
# Writes: csp:ElementScore (nodes standing for an element or dimension), csp:CompositeIndex
#   (the top nodes) or csp:Assessment (groups) with csp:scoreValue and csp:coverage, and
#   prov:wasDerivedFrom the children's scores; csp:NotScored with csp:reason.
PREFIX csp:  <https://w3id.org/cityculture/ontology/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>

INSERT {
  GRAPH ?run {
    ?score a ?scoreClass ;
           csp:city ?city ;
           csp:refYear ?year ;
           csp:frameworkNode ?node ;
           csp:scoreValue ?scoreValue ;
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
      GRAPH ?run { ?anyScore csp:frameworkNode ?child ; csp:refYear ?year . }
    }
    GROUP BY ?node ?year
  }
  GRAPH ?fg3 { ?node csp:aggregation ?rule . ?framework csp:minimumCoverage ?minimum .
               OPTIONAL { ?node csp:parentNode ?parent } }
  BIND (?have / ?selected AS ?coverage)
  FILTER (?coverage >= ?minimum)
  BIND (IF(?rule = csp:sum, ?weighted, ?weighted / ?weights) AS ?scoreValue)
  BIND (IF(!BOUND(?parent), csp:CompositeIndex,
           IF(?level = 1 && EXISTS { GRAPH ?fg4 { ?node csp:standsFor ?aspect } },
              csp:ElementScore, csp:Assessment)) AS ?scoreClass)
  BIND (IRI(CONCAT(STR(?run), "/score/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                     STR(?year))))) AS ?score)
} ;

INSERT {
  GRAPH ?run {
    ?score prov:wasDerivedFrom ?childScore .
  }
}
WHERE {
  GRAPH ?fg1 { ?node csp:inFramework ?framework ; csp:level ?level .
               ?child csp:parentNode ?node . }
  GRAPH ?run { ?score csp:frameworkNode ?node ; csp:city ?city ; csp:refYear ?year ;
                      csp:scoreValue ?any . }
  # score IRIs are computed from (node, city, year): look the child's up instead of joining
  BIND (IRI(CONCAT(STR(?run), "/score/", MD5(CONCAT(STR(?child), " ", STR(?city), " ",
                                                     STR(?year))))) AS ?childScore)
  FILTER EXISTS { GRAPH ?run { ?childScore csp:scoreValue ?childValue } }
} ;

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
  {
    SELECT DISTINCT ?city ?year WHERE {
      GRAPH ?run { ?anything csp:city ?city ; csp:refYear ?year ; csp:scoreValue ?v . }
    }
  }
  {
    SELECT ?node ?year (COUNT(DISTINCT ?child) AS ?selected) WHERE {
      GRAPH ?fg2 { ?node csp:inFramework ?framework ; csp:level ?level .
                   ?child csp:parentNode ?node . }
      GRAPH ?run { ?anyScore csp:frameworkNode ?child ; csp:refYear ?year . }
    }
    GROUP BY ?node ?year
  }
  OPTIONAL {
    SELECT ?node ?city ?year (COUNT(?child) AS ?have) WHERE {
      GRAPH ?fg1 { ?node csp:inFramework ?framework ; csp:level ?level .
                   ?child csp:parentNode ?node . }
      GRAPH ?run { ?childScore csp:frameworkNode ?child ; csp:city ?city ; csp:refYear ?year ;
                                csp:scoreValue ?s . }
    }
    GROUP BY ?node ?city ?year
  }
  GRAPH ?fg3 { ?framework csp:minimumCoverage ?minimum . }
  BIND (COALESCE(?have, 0) / ?selected AS ?coverage)
  FILTER (?coverage < ?minimum)
  BIND (CONCAT("data for ", STR(COALESCE(?have, 0)), " of ", STR(?selected),
               " parts; at least ", STR(xsd:integer(ROUND(?minimum * 100))),
               " % are needed") AS ?reason)
  BIND (IRI(CONCAT(STR(?run), "/not-scored/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                          STR(?year))))) AS ?record)
}
